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

export const salesforceMapping = {
  reference: 'CaseNumber',
  supplierId: 'Id',
  description: 'Subject',
  service: { code: 'Type', name: 'Type' },
  status: { code: 'Status', lookup: 'sf-status' },
  openedAt: { path: 'CreatedDate', date: 'iso' },
  updatedAt: { path: 'LastModifiedDate', date: 'iso' },
  closedAt: { path: 'ClosedDate', date: 'iso' },
  location: { uprn: 'UPRN__c', postcode: 'Postcode__c' },
  lookups: {
    'sf-status': {
      entries: {
        New: { status: 'received' },
        Working: { status: 'in_progress' },
        Escalated: { status: 'in_progress', label: 'Passed to a specialist team' },
        'On Hold': { status: 'on_hold' },
        Closed: { status: 'closed' },
      },
    },
  },
};

export const SOQL_CHANGES =
  'SELECT Id, CaseNumber, Subject, Status, Type, CreatedDate, LastModifiedDate, ClosedDate, UPRN__c, Postcode__c FROM Case WHERE LastModifiedDate >= {{since}} ORDER BY LastModifiedDate ASC';

export function salesforceConnector(sim: { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'customer-cases',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'Salesforce', product: 'Service Cloud' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl: sim.url,
    path: '/services/data/v59.0/query',
    headers: { 'Sforce-Query-Options': 'batchSize=200' },
    auth: { type: 'oauth2-client-credentials', tokenUrl: `${sim.url}/services/oauth2/token`, clientId: '3MVG9casebridge.Connected.App', clientSecret: 'F3C0A5E1D2B4sf-secret' },
    since: { initial: '2025-11-01T00:00:00Z', watermark: { field: 'LastModifiedDate' } },
    filter: { dialect: 'soql', expression: SOQL_CHANGES },
    pagination: { style: 'next-link', path: 'nextRecordsUrl' },
    records: 'records',
    timeout: '10s',
    mapping: salesforceMapping,
    ...extra,
  };
}

const attr = (code: string, tail = '') => ({ jsonata: `attributes[attributeCode='${code}'].value${tail}` });

export const alloyMapping = {
  reference: attr('attributes_customerEnquiriesReference'),
  supplierId: 'itemId',
  description: attr('attributes_customerEnquiriesSummary'),
  service: { code: attr('attributes_customerEnquiriesCategory'), name: attr('attributes_customerEnquiriesCategory') },
  status: { code: attr('attributes_customerEnquiriesStatus', '[0]'), lookup: 'alloy-status' },
  openedAt: { ...attr('attributes_customerEnquiriesReportedDate'), date: 'iso' },
  updatedAt: { path: 'lastEditDate', date: 'iso' },
  location: {
    uprn: attr('attributes_customerEnquiriesUPRN'),
    longitude: attr('attributes_itemsGeometry', '.coordinates[0]'),
    latitude: attr('attributes_itemsGeometry', '.coordinates[1]'),
  },
  lookups: {
    'alloy-status': {
      entries: {
        '5f3a1c2b9e0d4a0017aa0001': { status: 'received', label: 'Logged' },
        '5f3a1c2b9e0d4a0017aa0002': { status: 'scheduled', label: 'Inspection scheduled' },
        '5f3a1c2b9e0d4a0017aa0003': { status: 'in_progress', label: 'Works ordered' },
        '5f3a1c2b9e0d4a0017aa0004': { status: 'resolved', label: 'Completed' },
        '5f3a1c2b9e0d4a0017aa0005': { status: 'closed', label: 'No further action' },
      },
    },
  },
};

export const alloyQuery = (extra: unknown[] = []) => ({
  aqs: {
    type: 'Query',
    properties: { dodiCode: 'designs_customerEnquiries', attributes: ['all'], collectionCode: ['Live'] },
    children: [
      {
        type: 'And',
        children: [
          { type: 'GreaterThanEqual', children: [{ type: 'ItemProperty', properties: { itemPropertyName: 'lastEditDate' } }, { type: 'DateTime', properties: { value: ['{{since}}'] } }] },
          ...extra,
        ],
      },
    ],
  },
});

export function alloyConnector(sim: { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'highways-enquiries',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'Yotta', product: 'Alloy' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl: sim.url,
    path: '/api/aqs/query',
    method: 'POST',
    body: alloyQuery(),
    auth: { type: 'bearer', token: 'alloy-api-key-0f9e8d7c' },
    since: { initial: '2025-11-01T00:00:00Z', watermark: { field: 'lastEditDate' } },
    pagination: { style: 'page', param: 'page', first: 1, sizeParam: 'pageSize', size: 5, totalPagesPath: 'totalPages' },
    records: 'results',
    timeout: '10s',
    mapping: alloyMapping,
    ...extra,
  };
}

export const UNIFORM_PASSWORD = "Un1form'P@ss&word";

export const uniformMapping = {
  reference: 'ReferenceValue',
  supplierId: 'Keyval',
  service: { code: 'RequestType', name: 'RequestTypeDescription' },
  status: { code: 'StatusCode', label: 'StatusDescription', lookup: 'uniform-status' },
  openedAt: { path: 'DateReceived', date: 'dd/MM/yyyy HH:mm' },
  updatedAt: { path: 'DateLastChanged', date: 'iso' },
  location: { uprn: 'UPRN', postcode: 'Postcode' },
  lookups: {
    'uniform-status': {
      entries: {
        REC: { status: 'received' },
        ALL: { status: 'in_progress', label: 'An officer has been assigned' },
        INV: { status: 'in_progress' },
        NFA: { status: 'closed', label: 'Closed - no further action' },
        RES: { status: 'resolved' },
      },
    },
  },
};

export function uniformConnector(sim: { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'regulatory',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'Idox', product: 'Uniform' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl: sim.url,
    path: '/uniformwebapi/api/servicerequests',
    auth: {
      type: 'cookie-session',
      loginPath: '/uniformwebapi/api/login',
      format: 'json',
      credentials: { DatabaseId: 'UNIFORM_LIVE', UserName: 'CASEBRIDGE', Password: UNIFORM_PASSWORD },
      sessionCookie: '.ASPXAUTH',
      expiredRedirect: '/uniformwebapi/login.aspx',
      logoutPath: '/uniformwebapi/api/logout',
    },
    since: { param: 'changedSince', format: 'iso-local', zone: 'Europe/London', initial: '2025-11-01T00:00:00Z', watermark: { field: 'DateLastChanged', format: 'iso', zone: 'Europe/London' } },
    pagination: { style: 'page', param: 'pageNumber', first: 1, sizeParam: 'pageSize', size: 4, totalPath: 'TotalCount' },
    records: 'ServiceRequests',
    timeout: '10s',
    mapping: uniformMapping,
    ...extra,
  };
}
