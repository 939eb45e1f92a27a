import { inflateRawSync } from 'node:zlib';

/**
 * Lists the files of a zip archive appended to (or forming) a byte array. TFLite Support packs a model's
 * associated files (label lists) as a zip appended after the flatbuffer; the central directory at the end
 * makes the pair both a valid model and a valid zip. Handles stored and deflated entries; anything else
 * (no end record, zip64, encryption) yields no entries rather than an error, since the zip is optional.
 */
export interface ZipEntry {
  name: string;
  size: number;
  read(): Uint8Array;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

export function readZipEntries(bytes: Uint8Array): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  // The end record is 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return [];
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  // Appended archives may keep offsets relative to the zip's own start: rebase when needed.
  const shift = eocd - cdSize - cdOffset;
  if (shift < 0) return [];
  cdOffset += shift;
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  const dec = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (p + 46 > n || dv.getUint32(p, true) !== CEN_SIG) return entries;
    const method = dv.getUint16(p + 10, true);
    const flags = dv.getUint16(p + 8, true);
    const csize = dv.getUint32(p + 20, true);
    const usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true) + shift;
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if ((flags & 1) !== 0 || (method !== 0 && method !== 8)) continue;
    if (local + 30 > n || dv.getUint32(local, true) !== LOC_SIG) continue;
    const dataStart = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (dataStart + csize > n) continue;
    entries.push({
      name,
      size: usize,
      read: () => {
        const raw = bytes.subarray(dataStart, dataStart + csize);
        return method === 0 ? raw.slice() : new Uint8Array(inflateRawSync(raw));
      },
    });
  }
  return entries;
}
