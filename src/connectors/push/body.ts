/** Read a request body with a hard size limit; nothing beyond the limit is buffered. */
import type { IncomingMessage } from 'node:http';

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new BodyError(413, `request body of ${declared} bytes is larger than maxBodyBytes (${maxBytes})`));
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    // Compressed bodies would need a second limit after inflating; suppliers send small notifications.
    return Promise.reject(new BodyError(415, `Content-Encoding ${encoding} is not accepted; send the body uncompressed`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        chunks.length = 0;
        // Stop buffering; the socket is closed after the 413 is written.
        req.pause();
        reject(new BodyError(413, `request body is larger than maxBodyBytes (${maxBytes})`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new BodyError(400, `error reading the request body: ${err.message}`));
    });
  });
}
