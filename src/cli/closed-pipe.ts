/**
 * `casebridge schema | head`: the reader went away, which is the reader's choice, not our failure.
 * Stop quietly instead of dying on an unhandled EPIPE with a stack trace. A closed stderr is
 * treated the same way (there is nobody left to tell).
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => never = process.exit): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
}
