/** The processed-file ledger's state namespace, on its own so `casebridge forget` loads no file source. */
export const LEDGER_NAMESPACE = 'file-ledger';
