import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument, asyncApiYaml } from '../../src/event/asyncapi.js';
import { LifecycleStatus } from '../../src/event/case-event.js';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { buildEvent } from '../../src/normalize/build-event.js';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { ctx, rec, stages } from './helpers.js';

/** Errors (0) and warnings (1); information and hints (e.g. "3.1.0 exists") are not problems. */
async function problems(text: string): Promise<string[]> {
  const { diagnostics } = await new Parser().parse(text);
  return diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
}

describe('AsyncAPI document', () => {
  it('is what the zod schemas generate (run `casebridge schema --write` after changing them)', () => {
    expect(readFileSync('config/schemas/asyncapi.yaml', 'utf8')).toBe(asyncApiYaml());
  });

  it('passes the AsyncAPI parser with no errors or warnings', async () => {
    expect(await problems(asyncApiYaml())).toEqual([]);
  });

  it('the parser does catch a broken document', async () => {
    const noChannel = asyncApiDocument() as { operations: { receiveCaseEvents: { channel: unknown } } };
    noChannel.operations.receiveCaseEvents.channel = { $ref: '#/channels/nope' };
    expect((await problems(stringify(noChannel))).length).toBeGreaterThan(0);
    const noVersion = asyncApiDocument() as { info: { version?: string } };
    delete noVersion.info.version;
    expect((await problems(stringify(noVersion))).join('\n')).toMatch(/version/);
  });

  it('its examples match its own payload and header schemas', () => {
    const doc = asyncApiDocument() as {
      components: { schemas: Record<string, object>; messages: Record<string, { payload: { $ref: string }; headers?: object; examples?: { payload: unknown; headers?: unknown }[] }> };
    };
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    let checked = 0;
    for (const m of Object.values(doc.components.messages)) {
      const schema = doc.components.schemas[m.payload.$ref.split('/').pop()!]!;
      for (const ex of m.examples ?? []) {
        const v = ajv.compile(schema);
        expect(v(ex.payload), JSON.stringify(v.errors)).toBe(true);
        if (m.headers && ex.headers) expect(ajv.validate(m.headers, ex.headers), JSON.stringify(ajv.errors)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(2);
  });

  it('describes both topics and carries the lifecycle vocabulary from the zod schema', async () => {
    const { document } = await new Parser().parse(asyncApiYaml());
    expect(document!.channels().all().map((c) => c.address())).toEqual(['casebridge.{council}.cases', 'casebridge.{council}.dead-letters']);
    expect(document!.operations().all().map((o) => o.action())).toEqual(['receive', 'receive']);
    const text = asyncApiYaml();
    for (const s of LifecycleStatus.options) expect(text).toContain(`- ${s}`);
  });

  it('lets a consumer validate a real event with its structured-mode payload schema', async () => {
    const n = compileMapping(Mapping.parse({ reference: 'CRNo', status: { code: 'Stage', lookup: 'stages' }, lookups: stages, location: { easting: 'E', northing: 'N' } }), ctx);
    const r = n(rec({ CRNo: '42', Stage: '5', E: '530624', N: '178388' }));
    if (r instanceof Promise || r.kind !== 'case') throw new Error('expected a case');
    const { event } = buildEvent(r.snapshot, { kind: 'created', fields: [] }, 1);
    const schemas = (asyncApiDocument() as { components: { schemas: Record<string, object> } }).components.schemas;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(schemas.CaseEvent!);
    expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...event, data: { ...event.data, case: { ...event.data.case, status: { lifecycle: 'pending', code: '5' } } } })).toBe(false);
  });
});
