/** Connector configs for the named back-end simulators, as a council would write them. */
import { ISLINGTON } from '../helpers.js';

export const d365Mapping = {
  reference: 'ticketnumber',
  supplierId: 'incidentid',
  description: 'title',
  service: { code: 'new_servicearea', name: 'new_servicearea' },
  status: { code: 'statuscode', label: '["statuscode@OData.Community.Display.V1.FormattedValue"]', lookup: 'd365-status' },
  openedAt: { path: 'createdon', date: 'iso' },
  updatedAt: { path: 'modifiedon', date: 'iso' },
  location: { uprn: 'new_uprn', postcode: 'new_postcode' },
  lookups: {
    'd365-status': {
      entries: {
        '1': { status: 'in_progress' },
        '2': { status: 'on_hold' },
        '3': { status: 'on_hold', label: 'Waiting for details from you' },
        '5': { status: 'resolved' },
        '6': { status: 'cancelled' },
      },
    },
  },
};

export function dynamics365Connector(sim: { url: string; tokenUrl: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'crm',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'Microsoft', product: 'Dynamics 365 Customer Service' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl: sim.url,
    path: '/api/data/v9.2/incidents',
    query: { $select: 'incidentid,ticketnumber,title,statuscode,statecode,createdon,modifiedon,new_uprn,new_postcode,new_servicearea', $orderby: 'modifiedon asc' },
    headers: { Prefer: 'odata.maxpagesize=4,odata.include-annotations="OData.Community.Display.V1.FormattedValue"', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0' },
    auth: { type: 'oauth2-client-credentials', tokenUrl: sim.tokenUrl, clientId: 'casebridge-app', clientSecret: 'd365~secret.Value_123', scope: `${sim.url}/.default` },
    since: { initial: '2025-11-01T00:00:00Z', watermark: { field: 'modifiedon' } },
    filter: { dialect: 'odata', expression: 'modifiedon ge {{since}}' },
    pagination: { style: 'next-link', path: '["@odata.nextLink"]' },
    records: 'value',
    timeout: '10s',
    mapping: d365Mapping,
    ...extra,
  };
}
