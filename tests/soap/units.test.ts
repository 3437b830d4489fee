/** Unit tests for the soap connector's pure parts: paths, templates, time rendering, config, errors. */
import { describe, expect, it } from 'vitest';
import { SoapConnectorConfig } from '../../src/connectors/soap/config.js';
import { faultError, inBodyError, toSourceError } from '../../src/connectors/soap/errors.js';
import { createSoapSource } from '../../src/connectors/soap/create.js';
import { selectAll, selectOne } from '../../src/connectors/soap/path.js';
import { MissingTemplateValue, placeholdersIn, renderArgs, renderXml } from '../../src/connectors/soap/template.js';
import { renderTime, widenForClockChange } from '../../src/connectors/soap/times.js';
import { decodeXmlText, parseXmlSafely, sanitizeXmlObject } from '../../src/connectors/shared/xml-safety/index.js';
import { fixedClock } from '../../src/core/clock.js';
import { ConfigError, isRetriable, StateError } from '../../src/core/errors.js';
import { parseStoredCheckpoint } from '../../src/core/checkpoint.js';
import { silentLogger } from '../../src/core/logger.js';

describe('paths', () => {
  const result = {
    GetResult: {
      Errors: { Result: '-2', Message: 'expired' },
      Items: { $attributes: { RecordCount: '3' }, Item: [{ Id: 1 }, { Id: 2 }] },
      Single: { Item: { Id: 9 } },
    },
  };
  it('one element and a list of elements give the same shape', () => {
    expect(selectAll(result, 'GetResult.Items.Item')).toEqual([{ Id: 1 }, { Id: 2 }]);
    expect(selectAll(result, 'GetResult.Single.Item')).toEqual([{ Id: 9 }]);
    expect(selectAll(result, 'GetResult.Missing.Item')).toEqual([]);
  });
  it('* matches the one result element whatever the operation is called', () => {
    expect(selectOne(result, '*.Errors.Result')).toBe('-2');
    expect(selectOne(result, '*.Items.$attributes.RecordCount')).toBe('3');
    expect(selectOne(result, 'GetResult.Items.Item[1].Id')).toBe(2);
  });
  it('never reads inherited properties', () => {
    expect(selectAll({}, 'constructor')).toEqual([]);
    expect(selectAll({ a: {} }, 'a.toString')).toEqual([]);
  });
});

describe('templates', () => {
  it('a whole-string placeholder keeps its type; embedded ones become text', () => {
    expect(renderArgs({ PageNumber: '{{page}}', Note: 'page {{page}} of {{since}}', Nested: [{ Id: '{{item.Id}}' }] }, { page: 2, since: '2025-07-01T01:00:00', item: { Id: 51688 } })).toEqual({
      PageNumber: 2,
      Note: 'page 2 of 2025-07-01T01:00:00',
      Nested: [{ Id: 51688 }],
    });
  });
  it('a missing value is an error naming the placeholder, not an empty argument', () => {
    expect(() => renderArgs({ Id: '{{item.Id}}' }, { item: {} })).toThrow(MissingTemplateValue);
    expect(() => renderArgs({ Id: '{{item.Id}}' }, { item: {} })).toThrow('{{item.Id}}');
  });
  it('XML envelopes escape every value except the security header', () => {
    const xml = renderXml('<a>{{ref}}</a>{{security}}', { ref: '<b>&"x"</b>', security: '<wsse:Security/>' });
    expect(xml).toBe('<a>&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;</a><wsse:Security/>');
  });
  it('lists placeholders for config checks', () => {
    expect([...placeholdersIn({ a: '{{since}}', b: ['{{ item.Code }}'] })].sort()).toEqual(['item.Code', 'since']);
  });
});

describe('time rendering', () => {
  const at = new Date('2025-07-01T11:59:30Z');
  it('UK wall-clock with no offset by default pattern; iso with offset; epochs', () => {
    expect(renderTime(at, { zone: 'Europe/London', format: "yyyy-MM-dd'T'HH:mm:ss" })).toBe('2025-07-01T12:59:30');
    expect(renderTime(at, { zone: 'Europe/London', format: 'iso' })).toBe('2025-07-01T12:59:30+01:00');
    expect(renderTime(at, { zone: 'UTC', format: 'iso' })).toBe('2025-07-01T11:59:30Z');
    expect(renderTime(at, { zone: 'UTC', format: 'epoch' })).toBe(1751371170);
    expect(renderTime(at, { zone: 'UTC', format: 'epoch-ms' })).toBe(1751371170000);
  });
  it('a window across the autumn clock change starts an hour earlier in wall-clock terms', () => {
    const since = new Date('2025-10-26T00:40:00Z'); // 01:40 BST
    const until = new Date('2025-10-26T01:20:00Z'); // 01:20 GMT: wall clock went backwards
    const widened = widenForClockChange(since, until, 'Europe/London');
    expect(widened.toISOString()).toBe('2025-10-25T23:40:00.000Z'); // 00:40 BST
    expect(renderTime(widened, { zone: 'Europe/London', format: 'HH:mm' }) < renderTime(until, { zone: 'Europe/London', format: 'HH:mm' })).toBe(true);
    // No change within the window: untouched.
    expect(widenForClockChange(new Date('2025-07-01T00:00:00Z'), at, 'Europe/London').toISOString()).toBe('2025-07-01T00:00:00.000Z');
  });
});

describe('xml safety', () => {
  it('decodes predefined entities and character references exactly once', () => {
    expect(decodeXmlText('&amp;lt; &lt;b&gt; &#163; &#x20AC; &unknown;')).toBe('&lt; <b> £ € &unknown;');
  });
  it('parses attributes under $attributes and keeps values as text', () => {
    const doc = parseXmlSafely('<r><Loc Easting="530963.00" Northing="185123">12 High St</Loc><UPRN>000100012345</UPRN><L>1</L></r>', { alwaysArray: new Set(['L']) });
    expect(doc).toEqual({ r: { Loc: { $attributes: { Easting: '530963.00', Northing: '185123' }, $value: '12 High St' }, UPRN: '000100012345', L: ['1'] } });
  });
  it('sanitising copies own properties only and bounds depth', () => {
    const proto = { inherited: 'x' };
    const obj = Object.create(proto) as Record<string, unknown>;
    obj.own = 'y';
    expect(sanitizeXmlObject({ a: obj })).toEqual({ a: { own: 'y' } });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 300; i++) deep = (deep.c = {}) as Record<string, unknown>;
    expect(() => sanitizeXmlObject(root)).toThrow(/deeper than 256/);
  });
  it('refuses a DTD even when hidden by NUL bytes (UTF-16 read as UTF-8)', () => {
    const utf16ish = '<\u0000!\u0000D\u0000O\u0000C\u0000T\u0000Y\u0000P\u0000E\u0000 r>';
    expect(() => parseXmlSafely(utf16ish + '<r/>')).toThrow(/DTD/);
  });
});

describe('errors', () => {
  const rules = { code: '*.Errors.Result', message: '*.Errors.Message', success: ['0'], retriable: ['-99', 'Server'], sessionExpired: ['-2'] };
  it('in-body codes: success, retriable, session expired, other', () => {
    expect(inBodyError({ R: { Errors: { Result: 0 } } }, rules, {})).toBeUndefined();
    expect(inBodyError({ R: {} }, rules, {})).toBeUndefined();
    expect(inBodyError({ R: { Errors: { Result: '-99', Message: 'busy' } } }, rules, {})).toMatchObject({ retriable: true, code: 'supplier_error', message: 'supplier error -99: busy' });
    expect(inBodyError({ R: { Errors: { Result: '-2' } } }, rules, {})).toMatchObject({ code: 'session_expired' });
    expect(inBodyError({ R: { Errors: { Result: '-5', Message: 'bad' } } }, rules, { connector: 'x' })).toMatchObject({ retriable: false, context: { connector: 'x', supplierCode: '-5' } });
  });
  it('fault codes match with or without their prefix', () => {
    expect(faultError({ code: 'soap:Server', message: 'busy' }, rules, {})).toMatchObject({ retriable: true, code: 'soap_fault' });
    expect(faultError({ code: 'soap:Client', message: 'bad' }, rules, {})).toMatchObject({ retriable: false });
  });
  it('HTTP statuses without a fault: 5xx/429 retriable, 401 auth', () => {
    const opts = { timeoutMs: 1000, maxResponseBytes: 1024 };
    const http = (status: number) => Object.assign(new Error('x'), { response: { status, data: 'oops' } });
    expect(toSourceError(http(503), rules, {}, opts)).toMatchObject({ retriable: true, code: 'http_status' });
    expect(toSourceError(http(429), rules, {}, opts)).toMatchObject({ retriable: true });
    expect(toSourceError(http(401), rules, {}, opts)).toMatchObject({ retriable: false, code: 'auth' });
    expect(toSourceError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), rules, {}, opts)).toMatchObject({ retriable: true, code: 'network' });
  });
});

describe('config', () => {
  const base = {
    name: 'w',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'S' },
    mapping: { reference: 'R', status: { code: 'S', lookup: 'st' } },
    wsdl: './x.wsdl',
    list: { operation: 'Op', args: { Since: '{{since}}' }, records: 'R.Item' },
  };
  const make = (extra: Record<string, unknown>) => SoapConnectorConfig.parse({ ...base, ...extra });
  const deps = { connector: 'w', clock: fixedClock('2025-01-01T00:00:00Z'), logger: silentLogger(), state: undefined as never, baseDir: '/nonexistent' };

  it('defaults: UK local times, 30s timeout, 16 MiB, 2m overlap', () => {
    const c = make({});
    expect(c).toMatchObject({ mode: 'wsdl', timeout: '30s', maxResponseBytes: 16 * 1024 * 1024, times: { zone: 'Europe/London', format: "yyyy-MM-dd'T'HH:mm:ss" }, window: { lag: '30s', overlap: '2m' } });
  });
  it('raw mode needs an endpoint and envelopes; wsdl mode refuses envelopes', () => {
    const raw = SoapConnectorConfig.safeParse({ ...base, wsdl: undefined, mode: 'raw' });
    expect(raw.success).toBe(false);
    expect(raw.error!.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['endpoint', 'list.envelope']));
    const env = SoapConnectorConfig.safeParse({ ...base, list: { ...base.list, envelope: 'x.xml' } });
    expect(env.success).toBe(false);
  });
  it('select: latest needs orderBy', () => {
    expect(SoapConnectorConfig.safeParse({ ...base, detail: { operation: 'D', records: 'X', select: 'latest' } }).success).toBe(false);
  });
  it('placeholders are checked when the connector is created', () => {
    expect(() => createSoapSource(make({ list: { ...base.list, args: { T: '{{token}}' } } }), deps)).toThrow(/no session/);
    expect(() => createSoapSource(make({ list: { ...base.list, args: { X: '{{ref}}' } } }), deps)).toThrow(ConfigError);
    expect(() => createSoapSource(make({ list: { ...base.list, args: { P: '{{page}}' } } }), deps)).toThrow(/paging is not configured/);
    expect(() => createSoapSource(make({ list: { ...base.list, paging: { pageSize: 10 } } }), deps)).toThrow(/neither \{\{page\}\} nor \{\{offset\}\}/);
    expect(() => createSoapSource(make({ times: { zone: 'Europe/Londn', format: 'iso' } }), deps)).toThrow(/unknown time zone "Europe\/Londn"/);
    expect(() => createSoapSource(make({ mode: 'raw', wsdl: undefined, endpoint: 'http://127.0.0.1:1/x', list: { ...base.list, envelope: 'missing.xml' } }), deps)).toThrow(/cannot read list.envelope file/);
  });
  it('an unreadable stored position is a clear non-retriable error before the source reads', async () => {
    const src = createSoapSource(make({}), deps);
    let thrown: unknown;
    try {
      parseStoredCheckpoint(src.checkpointSchema, { lastId: 5 }, 'soap-test');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StateError);
    expect(isRetriable(thrown)).toBe(false);
    expect((thrown as Error).message).toMatch(/connector soap-test: the stored checkpoint is not a position[\s\S]*windowStart/);
    await src.close();
    await src.close(); // twice is fine
  });
});
