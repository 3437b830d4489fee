/** The `soap` connector kind: polling SOAP services by configuration (see docs/soap.md). */
import { defineConnector } from '../../core/descriptor.js';
import type { SourceFactory } from '../../core/source.js';
import { SoapCheckpoint } from './checkpoint.js';
import { SoapConnectorConfig } from './config.js';
import { createSoapSourceImpl } from './source.js';

export const createSoapSource: SourceFactory<SoapConnectorConfig, SoapCheckpoint> = (config, deps) => createSoapSourceImpl(config, deps);
export { SoapConnectorConfig } from './config.js';
export { SoapCheckpoint } from './checkpoint.js';

export const soapConnector = defineConnector({
  kind: 'soap',
  configSchema: SoapConnectorConfig,
  create: createSoapSource,
  checkpointSchema: SoapCheckpoint,
  docs: {
    title: 'SOAP web services',
    summary: 'Calls a supplier’s SOAP list (and detail) operations window by window and page by page, configured rather than coded.',
    docsPath: 'docs/soap.md',
  },
});
