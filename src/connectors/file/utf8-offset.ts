/**
 * Where exactly a byte sequence stops being UTF-8. TextDecoder says only that it is not, so an
 * encoding error would otherwise point at the start of a 256 KiB read instead of the bad byte.
 */

export type Utf8Scan = { ok: true } | { ok: false; at: number; incomplete: boolean };

/**
 * Scans `bytes` from `from`; `at` is the index of the first byte of the first invalid sequence,
 * `incomplete` when that sequence is merely cut off by the end of `bytes`. Follows the WHATWG
 * decoder: overlong forms, surrogates and code points above U+10FFFF are invalid.
 */
export function scanUtf8(bytes: Uint8Array, from = 0): Utf8Scan {
  let i = from;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return { ok: false, at: i, incomplete: false };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { ok: false, at: i, incomplete: true };
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return { ok: false, at: i, incomplete: false };
    }
    i += need + 1;
  }
  return { ok: true };
}

/**
 * Offset in the whole file of the first invalid sequence, found when `chunk` (starting at file
 * offset `chunkStart`) failed to decode. `tail` is the end (up to 3 bytes) of the previous chunk,
 * which decoded cleanly except perhaps for a sequence it left unfinished.
 */
export function invalidOffset(tail: Uint8Array, chunk: Uint8Array, chunkStart: number): number {
  const joined = new Uint8Array(tail.length + chunk.length);
  joined.set(tail, 0);
  joined.set(chunk, tail.length);
  // Leading continuation bytes belong to a sequence that began, complete, before the tail.
  let from = 0;
  while (from < tail.length && (tail[from]! & 0xc0) === 0x80) from++;
  const scan = scanUtf8(joined, from);
  const base = chunkStart - tail.length;
  return scan.ok ? chunkStart : base + scan.at;
}
