#!/usr/bin/env node
// Readiness probe for the local broker: one Kafka Metadata request (v4, the oldest version Kafka 4
// still serves, also served by 2.x/3.x brokers) over a plain socket. Exit 0 when the broker answers
// and lists at least one registered broker (in KRaft a broker is listed only once it is unfenced,
// i.e. ready to take produce requests); exit 1 otherwise.
// Deliberately dependency-free: kafkajs may only be imported in src/publish/kafka, and this must
// work before `npm run build`.
// Usage: node probe.mjs HOST PORT [TIMEOUT_MS]
import { connect } from 'node:net';

const [host = '127.0.0.1', portText = '19092', timeoutText = '2000'] = process.argv.slice(2);
const port = Number(portText);
const timeoutMs = Number(timeoutText);

function metadataRequest() {
  const clientId = Buffer.from('casebridge-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api_key: Metadata
  o = body.writeInt16BE(4, o); // api_version
  o = body.writeInt32BE(1, o); // correlation_id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(0, o); // topics: empty array (brokers only, no topic metadata)
  body.writeInt8(0, o); // allow_auto_topic_creation: false
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function parse(buf) {
  // correlation_id int32, throttle_time_ms int32, brokers: [node_id int32, host string, port int32, rack nullable string]
  let o = 4;
  o += 4;
  const n = buf.readInt32BE(o);
  o += 4;
  const brokers = [];
  for (let i = 0; i < n; i++) {
    const nodeId = buf.readInt32BE(o);
    o += 4;
    const hl = buf.readInt16BE(o);
    o += 2;
    const h = buf.toString('utf8', o, o + hl);
    o += hl;
    const p = buf.readInt32BE(o);
    o += 4;
    const rl = buf.readInt16BE(o);
    o += 2 + Math.max(rl, 0);
    brokers.push(`${nodeId}@${h}:${p}`);
  }
  const cl = buf.readInt16BE(o);
  const clusterId = cl >= 0 ? buf.toString('utf8', o + 2, o + 2 + cl) : null;
  return { brokers, clusterId };
}

const sock = connect({ host, port });
const fail = (why) => {
  if (process.env.PROBE_VERBOSE) process.stderr.write(`probe ${host}:${port}: ${why}\n`);
  sock.destroy();
  process.exit(1);
};
const timer = setTimeout(() => fail('timed out'), timeoutMs);
let chunks = Buffer.alloc(0);
sock.on('connect', () => sock.write(metadataRequest()));
sock.on('data', (d) => {
  chunks = Buffer.concat([chunks, d]);
  if (chunks.length < 4) return;
  const size = chunks.readInt32BE(0);
  if (chunks.length < 4 + size) return;
  clearTimeout(timer);
  try {
    const { brokers, clusterId } = parse(chunks.subarray(4, 4 + size));
    if (brokers.length === 0) fail('no broker registered yet');
    process.stdout.write(`cluster ${clusterId} brokers ${brokers.join(',')}\n`);
    sock.destroy();
    process.exit(0);
  } catch (e) {
    fail(`unreadable answer: ${e.message}`);
  }
});
sock.on('error', (e) => fail(e.code ?? e.message));
sock.on('close', () => fail('connection closed'));
