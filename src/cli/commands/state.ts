/**
 * `casebridge state check CONFIG` and `casebridge state backup CONFIG DEST`: the state file holds
 * every checkpoint, so an operator needs to know it is sound and to copy it safely while the
 * gateway runs (SQLite's online backup, not a file copy that can catch a half-written page).
 * `casebridge state migrate --from sqlite:PATH --to postgres:URL` moves the state to PostgreSQL.
 * `casebridge state reset CONFIG CONNECTOR --yes` forgets one connector's checkpoint (a damaged or
 * unwanted position), keeping everything else.
 */
import type Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { describeError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { ExitError, loadOrExit } from '../load.js';

async function statePathOf(file: string): Promise<string> {
  const { config, baseDir } = await loadOrExit(file);
  if (config.state.type !== 'sqlite') {
    throw new ExitError(EXIT.usage, `${file} keeps its state in PostgreSQL: check and back it up with PostgreSQL's own tools (pg_dump --schema=${config.state.schema}); this command reads the SQLite state file`);
  }
  const path = resolve(baseDir, config.state.path);
  if (!existsSync(path)) throw new ExitError(EXIT.failed, `no state file at ${path}: nothing has been read yet`);
  return path;
}

/** Opens the state file and runs the full integrity check; throws a StateError naming the file. */
async function openChecked(path: string): Promise<Database.Database> {
  // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
  const [{ default: Sqlite }, { damagedStateError, integrityProblems, refuseBadStateFile }] = await Promise.all([import('better-sqlite3'), import('../../runtime/sqlite-state-store.js')]);
  refuseBadStateFile(path);
  const db = new Sqlite(path, { fileMustExist: true });
  let problems: string[];
  try {
    problems = integrityProblems(db);
  } catch (cause) {
    db.close();
    throw damagedStateError(path, (cause as Error).message, cause);
  }
  if (problems.length) {
    db.close();
    throw damagedStateError(path, `integrity check: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` and ${problems.length - 5} more` : ''}`);
  }
  return db;
}

function failWith(err: unknown): never {
  throw new ExitError(EXIT.failed, describeError(err));
}

export function registerState(program: Command): void {
  const state = program.command('state').description('Check, back up, migrate or reset the state (checkpoints, processed-file ledger, case memory)');

  state
    .command('check')
    .description('Run SQLite\'s integrity check on the state file and list each connector\'s checkpoint')
    .argument('<config>', 'config file')
    .option('--json', 'machine-readable result')
    .action(async (file: string, opts: { json?: boolean }) => {
      const path = await statePathOf(file);
      let db: Database.Database;
      try {
        db = await openChecked(path);
      } catch (err) {
        failWith(err);
      }
      try {
        const rows = db.prepare('SELECT connector, updated_at AS updatedAt FROM checkpoints ORDER BY connector').all() as { connector: string; updatedAt: string }[];
        const kv = db.prepare('SELECT connector, COUNT(*) AS n FROM kv GROUP BY connector').all() as { connector: string; n: number }[];
        const entries = new Map(kv.map((r) => [r.connector, r.n]));
        const connectors = rows.map((r) => ({ connector: r.connector, checkpointAt: r.updatedAt, entries: entries.get(r.connector) ?? 0 }));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file: path, ok: true, bytes: statSync(path).size, connectors }, null, 2) + '\n');
        } else {
          process.stdout.write(`${path}: ok (integrity check passed, ${statSync(path).size} bytes)\n`);
          for (const c of connectors) process.stdout.write(`  ${c.connector}: checkpoint committed ${c.checkpointAt}, ${c.entries} remembered entries\n`);
          if (!connectors.length) process.stdout.write('  no checkpoints yet\n');
        }
      } finally {
        db.close();
      }
    });

  state
    .command('backup')
    .description('Copy the state file with SQLite\'s online backup (safe while the gateway runs)')
    .argument('<config>', 'config file')
    .argument('<dest>', 'file to create (never overwritten)')
    .action(async (file: string, dest: string) => {
      const path = await statePathOf(file);
      const target = resolve(dest);
      if (existsSync(target)) throw new ExitError(EXIT.failed, `${target} already exists; choose a new file name (a backup never overwrites)`);
      let db: Database.Database;
      try {
        db = await openChecked(path);
      } catch (err) {
        failWith(err);
      }
      try {
        mkdirSync(dirname(target), { recursive: true });
        await db.backup(target);
      } catch (err) {
        throw new ExitError(EXIT.failed, `cannot back up ${path} to ${target}: ${(err as Error).message}`);
      } finally {
        db.close();
      }
      const copy = await openChecked(target);
      copy.close();
      process.stdout.write(`backed up ${path} to ${target} (${statSync(target).size} bytes, integrity check passed)\n`);
    });

  state
    .command('migrate')
    .description('Copy every checkpoint and remembered entry from a SQLite state file to PostgreSQL (stop the gateway first)')
    .requiredOption('--from <sqlite:PATH>', 'the SQLite state file, e.g. sqlite:./var/state.sqlite')
    .requiredOption('--to <postgres:URL>', 'the PostgreSQL database, e.g. "postgres:$CASEBRIDGE_STATE_URL" (postgres://user:password@host:5432/db)')
    .option('--schema <name>', 'schema holding the casebridge tables (as state.schema in the config)', 'casebridge')
    .option('--force', 'replace state the target already holds for these connectors')
    .option('--json', 'machine-readable result')
    .action(async (opts: { from: string; to: string; schema: string; force?: boolean; json?: boolean }) => {
      const from = /^sqlite:(.+)$/.exec(opts.from)?.[1];
      if (!from) throw new ExitError(EXIT.usage, `--from takes sqlite:PATH (the state file), not ${opts.from}`);
      const url = /^postgres(ql)?:\/\//.test(opts.to) ? opts.to : /^postgres:(postgres(ql)?:\/\/.*)$/.exec(opts.to)?.[1];
      if (!url) throw new ExitError(EXIT.usage, '--to takes postgres:URL with a postgres:// or postgresql:// URL');
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new ExitError(EXIT.usage, `--schema takes a lower-case PostgreSQL identifier (letters, digits, _), not ${opts.schema}`);
      const path = resolve(from);
      if (!existsSync(path)) throw new ExitError(EXIT.failed, `no state file at ${path}`);
      // Loaded here, not at the top, so `casebridge --help` and the other commands start without them.
      const [{ copySqliteToPostgres, countPostgres }, { describePostgresUrl, openPostgresStateStore }] = await Promise.all([
        import('../../runtime/state/copy-sqlite-to-postgres.js'),
        import('../../runtime/state/postgres-state-store.js'),
      ]);
      const where = `${describePostgresUrl(url)} (schema ${opts.schema})`;
      let target;
      try {
        target = await openPostgresStateStore({ url, schema: opts.schema, poolSize: 2 });
      } catch (err) {
        failWith(err);
      }
      try {
        const result = await copySqliteToPostgres(path, target, { force: opts.force ?? false });
        // Counted again from a fresh connection, after the copy committed.
        const after = await countPostgres(target.pool, target, result.connectors.map((c) => c.connector));
        const verified = result.connectors.every((c) => {
          const t = after.find((a) => a.connector === c.connector);
          return t?.checkpoints === c.checkpoints && t.entries === c.entries;
        });
        if (!verified) throw new ExitError(EXIT.failed, `copied to ${where}, but the counts read back differ from ${path}: ${JSON.stringify(after)}`);
        const total = result.connectors.reduce((a, c) => ({ checkpoints: a.checkpoints + c.checkpoints, entries: a.entries + c.entries }), { checkpoints: 0, entries: 0 });
        if (opts.json) {
          process.stdout.write(JSON.stringify({ from: path, to: where, ...result, total, verified }, null, 2) + '\n');
        } else {
          process.stdout.write(`copied ${path} to ${where}: ${total.checkpoints} checkpoints, ${total.entries} remembered entries\n`);
          for (const c of result.connectors) process.stdout.write(`  ${c.connector}: ${c.checkpoints} checkpoint, ${c.entries} entries\n`);
          if (!result.connectors.length) process.stdout.write('  the state file holds nothing yet\n');
          if (result.replaced.checkpoints || result.replaced.entries) {
            process.stdout.write(`replaced what the target held for these connectors (--force): ${result.replaced.checkpoints} checkpoints, ${result.replaced.entries} entries\n`);
          }
          process.stdout.write('verified: the counts read back from PostgreSQL match the file. Now set state: { type: postgres, url: ... } in the config.\n');
        }
      } catch (err) {
        if (err instanceof ExitError) throw err;
        failWith(err);
      } finally {
        await target.close();
      }
    });

  state
    .command('reset')
    .description("Forget one connector's checkpoint so its next run reads from the start (stop that connector's gateway first); the file ledger and case memory stay, so nothing already published comes out again as new")
    .argument('<config>', 'config file')
    .argument('<connector>', 'connector name')
    .option('--yes', 'really reset (without it, only says what would be reset)')
    .action(async (file: string, connector: string, opts: { yes?: boolean }) => {
      const { config, baseDir } = await loadOrExit(file);
      if (!config.connectors.some((c) => c.name === connector)) {
        throw new ExitError(EXIT.usage, `${file} has no connector named "${connector}" (have: ${config.connectors.map((c) => c.name).join(', ') || 'none'})`);
      }
      if (config.state.type === 'sqlite' && !existsSync(resolve(baseDir, config.state.path))) {
        throw new ExitError(EXIT.failed, `no state file at ${resolve(baseDir, config.state.path)}: nothing has been read yet`);
      }
      const { openStateStore } = await import('../../runtime/state/open-state-store.js');
      let store;
      try {
        store = await openStateStore(config.state, { baseDir });
      } catch (err) {
        failWith(err);
      }
      try {
        const current = await store.forConnector(connector).checkpoint();
        if (current === undefined) {
          process.stdout.write(`${connector} has no checkpoint: its next run reads from the start already\n`);
          return;
        }
        if (!opts.yes) {
          process.stdout.write(`${connector} would forget its checkpoint ${JSON.stringify(current).slice(0, 300)}; run again with --yes to reset it\n`);
          return;
        }
        await store.resetCheckpoint(connector);
        process.stdout.write(`${connector}: checkpoint ${JSON.stringify(current).slice(0, 300)} forgotten; its next run reads from the start (cases already published are recognised and publish nothing new)\n`);
      } catch (err) {
        failWith(err);
      } finally {
        await store.close();
      }
    });
}
