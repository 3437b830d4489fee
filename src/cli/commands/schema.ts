import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schemas of the case event, the dead letter and the config (or write them, and the AsyncAPI document, with --write)')
    .option('--write', 'write the schema files instead of printing them')
    .option('--dir <dir>', 'folder for --write', 'config/schemas')
    .option('--only <which>', 'event | dead-letter | config')
    .action(async (opts: { write?: boolean; dir: string; only?: string }) => {
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ configSchema }, { asyncApiYaml }, { eventSchemas }] = await Promise.all([
        import('../../config/json-schema.js'),
        import('../../event/asyncapi.js'),
        import('../../event/json-schema.js'),
      ]);
      let docs = [...eventSchemas(), configSchema()];
      if (opts.only) {
        const want = { event: 'case-event', 'dead-letter': 'dead-letter', config: 'casebridge-config' }[opts.only];
        if (!want) throw new Error(`--only takes event, dead-letter or config, not ${opts.only}`);
        docs = docs.filter((d) => d.file.startsWith(want));
      }
      if (opts.write) {
        mkdirSync(opts.dir, { recursive: true });
        for (const d of docs) {
          writeFileSync(join(opts.dir, d.file), JSON.stringify(d.schema, null, 2) + '\n');
          process.stdout.write(`wrote ${join(opts.dir, d.file)}\n`);
        }
        if (!opts.only) {
          writeFileSync(join(opts.dir, 'asyncapi.yaml'), asyncApiYaml());
          process.stdout.write(`wrote ${join(opts.dir, 'asyncapi.yaml')}\n`);
        }
        return;
      }
      const out = docs.length === 1 ? docs[0]!.schema : Object.fromEntries(docs.map((d) => [d.file, d.schema]));
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
}
