/**
 * The `soap` connector kind: polling SOAP services by configuration (see docs/soap.md). The
 * descriptor imports only schemas; the source and the soap library load on use.
 */
import { defineConnector } from '../../core/descriptor.js';
import { SoapCheckpoint } from './checkpoint.js';
import { SoapConnectorConfig } from './config.js';

export { SoapConnectorConfig } from './config.js';
export { SoapCheckpoint } from './checkpoint.js';

export const soapConnector = defineConnector({
  kind: 'soap',
  configSchema: SoapConnectorConfig,
  checkpointSchema: SoapCheckpoint,
  load: async () => (await import('./create.js')).createSoapSource,
  docs: {
    title: 'SOAP web services',
    summary: 'Calls a supplier’s SOAP list (and detail) operations window by window and page by page, configured rather than coded.',
    docsPath: 'docs/soap.md',
  },
});
