/**
 * Play the supplier for the README demo: send one case notification to a running push receiver,
 * the way RepairsHub's integration engine would, and print what the gateway answered.
 *
 *   npx tsx tests/simulators/push/send.ts webhook http://127.0.0.1:8090/hooks/repairshub --secret "$REPAIRS_WEBHOOK_SECRET" --ref HR-25-004100 --status ASSIGNED
 *   npx tsx tests/simulators/push/send.ts soap http://127.0.0.1:8091/notifications/repairshub --user repairshub --password "$NOTIFY_PASSWORD" --ref HR-25-004100 --status COMPLETED
 *
 * A supplier resends until it gets a success; this script sends once and exits non-zero otherwise.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import soap from 'soap';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    secret: { type: 'string' },
    user: { type: 'string', default: 'repairshub' },
    password: { type: 'string' },
    ref: { type: 'string', default: 'HR-25-004100' },
    status: { type: 'string', default: 'ASSIGNED' },
  },
});
const [kind, url] = positionals;
if ((kind !== 'webhook' && kind !== 'soap') || !url) {
  console.error('usage: send.ts webhook|soap <url> [--secret S | --user U --password P] [--ref HR-…] [--status CODE]');
  process.exit(2);
}

// UK local time without an offset, as the supplier's server writes it.
const localNow = DateTime.now().setZone('Europe/London').toFormat("yyyy-MM-dd'T'HH:mm:ss");

if (kind === 'webhook') {
  if (!values.secret) throw new Error('--secret is required for webhooks');
  const body = JSON.stringify({
    eventType: 'case.updated',
    eventId: randomUUID(),
    occurredAt: new Date().toISOString(),
    case: {
      repairReference: values.ref,
      jobNumber: 5501234,
      tradeCode: 'PLMB',
      tradeDescription: 'Plumbing',
      status: { code: values.status, description: values.status },
      description: 'Leak under kitchen sink',
      property: { uprn: '5300000017', addressLine1: 'Flat 2, 11 Holloway Road', town: 'London', postcode: 'N7 6PA', easting: 531137, northing: 184251 },
      reportedAt: '2025-11-01T08:12:00Z',
      lastModified: localNow,
      targetDate: '2025-11-04',
      completedAt: null,
    },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', values.secret).update(`${ts}.${body}`).digest('hex');
  const res = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-RepairsHub-Timestamp': ts, 'X-RepairsHub-Signature': `sha256=${sig}` } });
  console.log(res.status, await res.text());
  process.exit(res.ok ? 0 : 1);
} else {
  const client = await soap.createClientAsync(`${url}?wsdl`, {}, url);
  if (values.password) client.setSecurity(new soap.BasicAuthSecurity(values.user!, values.password));
  try {
    const [result] = await client.NotifyCaseUpdatedAsync({
      CaseNotification: {
        NotificationId: randomUUID(),
        CaseReference: values.ref,
        JobNumber: 5501234,
        CaseType: 'RESPONSIVE_REPAIR',
        TradeCode: 'PLMB',
        StatusCode: values.status,
        LoggedDate: '2025-11-01T08:12:00',
        StatusChangedDate: localNow,
        Property: { UPRN: '5300000017', AddressLine1: 'Flat 2, 11 Holloway Road', Postcode: 'N7 6PA', Easting: 531137, Northing: 184251 },
      },
    });
    console.log('acknowledged', result);
  } catch (err) {
    const e = err as { response?: { status: number }; body?: string; message: string };
    console.error('not acknowledged:', e.response?.status ?? '', e.body ?? e.message);
    process.exit(1);
  }
}
