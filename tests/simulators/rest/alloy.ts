/**
 * Alloy (Yotta) asset and enquiry management, as highways and waste teams run it: a REST API keyed
 * by an API key, queried with AQS (Alloy Query Syntax) JSON in a POST body.
 *   POST /api/aqs/query?page=1&pageSize=20     Authorization: Bearer <api key>  (legacy: ?token=)
 *     body { aqs: { type: "Query", properties: { dodiCode, attributes, collectionCode },
 *                   children: [ { type: "GreaterThan", children: [ItemProperty lastEditDate, DateTime [value]] } ] } }
 *     → { page, pageSize, results: [ item ], totalPages, totalResults }
 * Quirks modelled:
 *  - an item's values are a list of { attributeCode, value } in no fixed order, not an object;
 *  - the status is a link: an array holding the item id of a status item, not a word;
 *  - geometry is GeoJSON in WGS84 with [longitude, latitude] order;
 *  - lastEditDate has milliseconds; pages are 1-based and pageSize is capped at 100;
 *  - a malformed AQS body is 400 { errorCode: "AqsValidation", message }; a bad key is 401.
 */
import { randomBytes } from 'node:crypto';
import { sendJson, startSimServer, type SimServer } from './kit.js';

export const ALLOY_DESIGN = 'designs_customerEnquiries';
/** Status items of the council's tenancy: item id → name. */
export const ALLOY_STATUS_ITEMS: Record<string, string> = {
  '5f3a1c2b9e0d4a0017aa0001': 'Logged',
  '5f3a1c2b9e0d4a0017aa0002': 'Inspection Scheduled',
  '5f3a1c2b9e0d4a0017aa0003': 'Works Ordered',
  '5f3a1c2b9e0d4a0017aa0004': 'Completed',
  '5f3a1c2b9e0d4a0017aa0005': 'No Further Action',
};

export interface AlloyEnquiry {
  itemId: string;
  reference: string;
  summary: string;
  category: string;
  statusItemId: string;
  reportedDate: string;
  lastEditDate: number;
  uprn: string;
  lon: number;
  lat: number;
  contactEmail: string;
}

export function generateEnquiries(count: number, base = '2025-11-03T09:00:00Z'): AlloyEnquiry[] {
  const statusIds = Object.keys(ALLOY_STATUS_ITEMS);
  const cats = ['Pothole', 'Street Light Out', 'Blocked Gully', 'Damaged Sign', "Overgrown Hedge (Owner's)"];
  return Array.from({ length: count }, (_, i) => ({
    itemId: `6541${randomBytes(10).toString('hex')}`,
    reference: `ENQ/2025/${String(4400 + i).padStart(6, '0')}`,
    summary: `${cats[i % cats.length]} near number ${i + 2}`,
    category: cats[i % cats.length]!,
    statusItemId: statusIds[i % statusIds.length]!,
    reportedDate: new Date(Date.parse(base) - 86_400_000 + i * 60_000).toISOString(),
    lastEditDate: Date.parse(base) + i * 6 * 60_000 + 417,
    uprn: String(766000000 + i * 11),
    lon: -0.8 + i * 0.001,
    lat: 51.8 + i * 0.0005,
    contactEmail: `resident${i}@example.org`,
  }));
}

function render(e: AlloyEnquiry): Record<string, unknown> {
  const attributes = [
    { attributeCode: 'attributes_customerEnquiriesReference', value: e.reference },
    { attributeCode: 'attributes_customerEnquiriesSummary', value: e.summary },
    { attributeCode: 'attributes_customerEnquiriesCategory', value: e.category },
    { attributeCode: 'attributes_customerEnquiriesStatus', value: [e.statusItemId] },
    { attributeCode: 'attributes_customerEnquiriesReportedDate', value: e.reportedDate },
    { attributeCode: 'attributes_customerEnquiriesUPRN', value: e.uprn },
    { attributeCode: 'attributes_itemsGeometry', value: { type: 'Point', coordinates: [e.lon, e.lat] } },
    { attributeCode: 'attributes_customerEnquiriesContactEmail', value: e.contactEmail },
  ];
  // No fixed order: a mapping must find values by attributeCode, never by position.
  const shift = e.reference.charCodeAt(e.reference.length - 1) % attributes.length;
  return {
    itemId: e.itemId,
    designCode: ALLOY_DESIGN,
    collection: 'Live',
    start: null,
    end: null,
    signature: randomBytes(8).toString('hex'),
    attributes: [...attributes.slice(shift), ...attributes.slice(0, shift)],
    createdDate: e.reportedDate,
    lastEditDate: new Date(e.lastEditDate).toISOString(),
  };
}

type Node = { type?: unknown; properties?: Record<string, unknown>; children?: unknown };

export interface AlloySimulator {
  url: string;
  server: SimServer;
  enquiries: AlloyEnquiry[];
  update(reference: string, changes: Partial<AlloyEnquiry>, at: string): void;
  close(): Promise<void>;
}

export async function startAlloySimulator(opts: { enquiries?: number; apiKey?: string; /** Time of the generated data (default 2025-11-03T09:00:00Z). */ baseTime?: string } = {}): Promise<AlloySimulator> {
  const enquiries = generateEnquiries(opts.enquiries ?? 13, opts.baseTime);
  const apiKey = opts.apiKey ?? 'alloy-api-key-0f9e8d7c';
  const bad = (res: Parameters<typeof sendJson>[0], message: string) => sendJson(res, 400, { errorCode: 'AqsValidation', message });

  /** A predicate for one AQS condition node, or a message saying what is wrong with it. */
  function condition(node: Node): ((e: AlloyEnquiry) => boolean) | string {
    const kids = Array.isArray(node.children) ? (node.children as Node[]) : [];
    if (node.type === 'And') {
      const preds = kids.map(condition);
      const err = preds.find((p) => typeof p === 'string');
      if (err) return err;
      return (e) => (preds as ((e: AlloyEnquiry) => boolean)[]).every((p) => p(e));
    }
    if (kids.length !== 2) return `${String(node.type)} needs two children`;
    const [left, right] = kids as [Node, Node];
    const value = Array.isArray(right.properties?.value) ? (right.properties!.value as unknown[])[0] : undefined;
    if (node.type === 'GreaterThan' || node.type === 'GreaterThanEqual') {
      if (left.type !== 'ItemProperty' || left.properties?.itemPropertyName !== 'lastEditDate') return 'only lastEditDate comparisons are supported here';
      if (right.type !== 'DateTime' || typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/T.*(Z|[+-]\d\d:\d\d)$/.test(value)) return `DateTime value ${JSON.stringify(value)} is not an ISO 8601 date-time with an offset`;
      const t = Date.parse(value);
      return node.type === 'GreaterThan' ? (e) => e.lastEditDate > t : (e) => e.lastEditDate >= t;
    }
    if (node.type === 'Equals') {
      const code = left.properties?.attributeCode;
      if (left.type !== 'Attribute' || code !== 'attributes_customerEnquiriesCategory') return 'Equals is supported on attributes_customerEnquiriesCategory only';
      if (right.type !== 'String' || typeof value !== 'string') return 'Equals needs a String value';
      return (e) => e.category === value;
    }
    return `unknown AQS node type ${JSON.stringify(node.type)}`;
  }

  const server = await startSimServer((req, res) => {
    const key = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? req.query.token;
    if (key !== apiKey) return sendJson(res, 401, { errorCode: 'Unauthorised', message: 'The API key is missing, invalid or has been revoked' });
    if (req.path !== '/api/aqs/query') return sendJson(res, 404, { errorCode: 'NotFound', message: 'Not found' });
    if (req.method !== 'POST') return sendJson(res, 405, { errorCode: 'MethodNotAllowed', message: 'Use POST' });
    let body: { aqs?: Node };
    try {
      body = JSON.parse(req.body);
    } catch {
      return bad(res, 'The request body is not valid JSON');
    }
    const aqs = body.aqs;
    if (!aqs || aqs.type !== 'Query' || aqs.properties?.dodiCode !== ALLOY_DESIGN) return bad(res, `aqs must be a Query on ${ALLOY_DESIGN}`);
    const kids = Array.isArray(aqs.children) ? (aqs.children as Node[]) : [];
    const preds = kids.map(condition);
    const err = preds.find((p) => typeof p === 'string');
    if (err) return bad(res, err as string);
    const page = Number(req.query.page ?? 1);
    const pageSize = Math.min(100, Number(req.query.pageSize ?? 20));
    if (!Number.isInteger(page) || page < 1) return bad(res, 'page starts at 1');
    const list = enquiries.filter((e) => (preds as ((e: AlloyEnquiry) => boolean)[]).every((p) => p(e))).sort((a, b) => a.lastEditDate - b.lastEditDate);
    const totalPages = Math.max(1, Math.ceil(list.length / pageSize));
    sendJson(res, 200, { page, pageSize, results: list.slice((page - 1) * pageSize, page * pageSize).map(render), totalPages, totalResults: list.length });
  });

  return {
    url: server.url,
    server,
    enquiries,
    update(reference, changes, at) {
      const e = enquiries.find((x) => x.reference === reference);
      if (!e) throw new Error(`no enquiry ${reference}`);
      Object.assign(e, changes, { lastEditDate: Date.parse(at) });
    },
    close: () => server.close(),
  };
}
