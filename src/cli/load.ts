/** Loads a config for a command, turning config errors into the documented exit code. */
import type { LoadedConfig } from '../config/load.js';
import { ConfigError, describeError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';

export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Async so the config schemas (zod, every connector kind's) load only for a command that reads a config. */
export async function loadOrExit(file: string): Promise<LoadedConfig> {
  const { ConfigInvalidError, loadConfigFile } = await import('../config/load.js');
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigInvalidError) throw new ExitError(EXIT.configInvalid, `${file}: invalid config\n${err.message}`);
    if (err instanceof ConfigError) throw new ExitError(EXIT.configInvalid, describeError(err));
    throw err;
  }
}
