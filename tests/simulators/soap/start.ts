/**
 * Start the three SOAP supplier simulators standalone, with demo data, for the README demo:
 *
 *   npx tsx tests/simulators/soap/start.ts [--port 8081] [--churn 20s] [--base-time ISO]
 *
 * waste-services on --port, highways on --port+1, planning on --port+2, all on 127.0.0.1.
 * --churn makes a few cases change every interval so a running gateway has something to publish.
 * --base-time is the "now" the demo data is dated back from (default: the time it starts), so a
 * restarted simulator can serve the same cases with the same times.
 * Stops cleanly on Ctrl-C / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { ConfirmSimulator } from './confirm.js';
import { UniformSimulator } from './uniform.js';
import { BartecSimulator } from './bartec.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    churn: { type: 'string' },
    'base-time': { type: 'string' },
  },
});
const base = Number(values.port);
if (!Number.isInteger(base) || base < 1 || base > 65_533) throw new Error(`--port must be a port number, got ${values.port}`);

const dataNow = values['base-time'] ? Date.parse(values['base-time']) : Date.now();
if (Number.isNaN(dataNow)) throw new Error(`--base-time must be an ISO time, got ${values['base-time']}`);
const hoursAgo = (h: number) => new Date(dataNow - h * 3_600_000);

const waste = new BartecSimulator({ tokenTtlMs: 20 * 60_000 });
const wasteIds: number[] = [];
const types = ['GW NEW SUBSCRIPTION', 'MISSED BIN', 'BULKY COLLECTION', 'LEAF REMOVAL'];
for (let i = 0; i < 12; i++) {
  const r = waste.addRequest({ at: hoursAgo(40 - i * 3), serviceType: types[i % types.length] as string, serviceClass: i % 4 === 3 ? 'STREET CLEANSING' : 'WASTE', uprn: String(5_300_012_000 + i), easting: 530_000 + i * 150, northing: 185_000 + i * 90 });
  wasteIds.push(r.ServiceRequestID);
  if (i % 3 === 0) waste.setStatus(r.ServiceRequestID, 'IN PROGRESS', hoursAgo(30 - i * 2));
  if (i % 4 === 0) waste.setStatus(r.ServiceRequestID, 'CLOSED', hoursAgo(20 - i));
  if (i === 5) waste.touch(r.ServiceRequestID, hoursAgo(6)); // a history row that changes nothing
}

const highways = new ConfirmSimulator();
const enquiries: number[] = [];
for (let i = 0; i < 6; i++) {
  const e = highways.addEnquiry({ at: hoursAgo(30 - i * 4), subject: ['PHOL', 'SLOT', 'GULY'][i % 3] as string, x: 530_400 + i * 120, y: 186_000 - i * 80 });
  enquiries.push(e.EnquiryNumber);
  if (i % 2 === 0) highways.logStatus(e.EnquiryNumber, 'INP', hoursAgo(20 - i * 2), 'Inspection booked');
  if (i % 2 === 0) highways.logStatus(e.EnquiryNumber, 'INP', hoursAgo(19 - i * 2), 'Internal: rota change'); // same code again
}

const planning = new UniformSimulator();
const apps: string[] = [];
for (let i = 0; i < 5; i++) apps.push(planning.addApplication({ at: hoursAgo(70 - i * 10), type: ['FUL', 'HOU', 'LBC'][i % 3] as string, proposal: `Demo proposal ${i + 1}` }).ReferenceValue);
planning.setStatus(apps[0] as string, 'VAL', hoursAgo(20));
planning.setStatus(apps[1] as string, 'DEC', hoursAgo(5), 'PER');

const servers = [await waste.start({ port: base }), await highways.start({ port: base + 1 }), await planning.start({ port: base + 2 })];
process.stdout.write(
  [
    'casebridge SOAP supplier simulators (127.0.0.1 only)',
    `  waste services  ${servers[0]!.wsdlUrl}   Login: casebridge / waste-secret (token lasts 20m)`,
    `  highways        ${servers[1]!.wsdlUrl}   WS-Security UsernameToken: casebridge / highways-secret`,
    `  planning        ${servers[2]!.wsdlUrl}   HTTP Basic: casebridge / planning-secret`,
    values.churn ? `  changing a few cases every ${values.churn}` : '  static data (add --churn 20s for changes over time)',
    '',
  ].join('\n'),
);

let timer: NodeJS.Timeout | undefined;
if (values.churn) {
  const m = /^(\d+)(s|m)$/.exec(values.churn);
  if (!m) throw new Error('--churn takes a duration such as 20s or 2m');
  const every = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  let tick = 0;
  const statuses = ['IN PROGRESS', 'CLOSED'];
  timer = setInterval(() => {
    tick++;
    const id = wasteIds[tick % wasteIds.length] as number;
    waste.setStatus(id, statuses[tick % 2] as string, new Date());
    const n = enquiries[tick % enquiries.length] as number;
    highways.logStatus(n, tick % 3 === 0 ? 'FIX' : 'INP', new Date(), 'Updated by the demo');
    if (tick % 4 === 0) planning.setStatus(apps[tick % apps.length] as string, 'CON', new Date());
    process.stdout.write(`changed SR000${id}, enquiry ${n}\n`);
  }, every);
}

const stop = async () => {
  if (timer) clearInterval(timer);
  await Promise.all([waste.stop(), highways.stop(), planning.stop()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
