/**
 * Files in formats and shapes edgewise must refuse, built byte by byte (no fixture files): BMP, ICO and
 * Netpbm, which sharp's decoder cannot read, and the JPEG damage libjpeg refuses while a lenient reader
 * would not.
 */
import sharp from 'sharp';

/** A 24-bit BMP: BITMAPFILEHEADER + BITMAPINFOHEADER, then pixels unless the header claims a huge size. */
export function bmp(width: number, height: number, opts: { pixels?: boolean } = {}): Buffer {
  const row = Math.ceil((width * 3) / 4) * 4;
  const pixels = opts.pixels === false ? Buffer.alloc(16) : Buffer.alloc(row * height, 0x80);
  const h = Buffer.alloc(54);
  h.write('BM', 0, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, 54 + row * height), 2);
  h.writeUInt32LE(54, 10);
  h.writeUInt32LE(40, 14);
  h.writeInt32LE(width, 18);
  h.writeInt32LE(height, 22);
  h.writeUInt16LE(1, 26);
  h.writeUInt16LE(24, 28);
  h.writeUInt32LE(Math.min(0xffffffff, row * height), 34);
  return Buffer.concat([h, pixels]);
}

/** A Windows icon holding one PNG image (how modern .ico files store large icons). */
export async function ico(side = 64): Promise<Buffer> {
  const png = await sharp({ create: { width: side, height: side, channels: 4, background: '#3a7' } }).png().toBuffer();
  const dir = Buffer.alloc(6 + 16);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // icon
  dir.writeUInt16LE(1, 4); // one image
  dir[6] = side >= 256 ? 0 : side;
  dir[7] = side >= 256 ? 0 : side;
  dir.writeUInt16LE(1, 10); // planes
  dir.writeUInt16LE(32, 12); // bits per pixel
  dir.writeUInt32LE(png.length, 14);
  dir.writeUInt32LE(22, 18);
  return Buffer.concat([dir, png]);
}

/** Netpbm: P6 (binary PPM), P5 (PGM) or P3 (ASCII PPM). */
export function netpbm(kind: 'P3' | 'P5' | 'P6', width: number, height: number): Buffer {
  const head = Buffer.from(`${kind}\n${width} ${height}\n255\n`, 'latin1');
  if (kind === 'P3') return Buffer.concat([head, Buffer.from(Array.from({ length: width * height }, () => '120 60 30').join('\n'), 'latin1')]);
  return Buffer.concat([head, Buffer.alloc(width * height * (kind === 'P6' ? 3 : 1), 0x60)]);
}

/** Offset of the first marker `code` (0xFF code) in a JPEG's marker segments. */
export function markerOffset(jpeg: Uint8Array, code: number): number {
  for (let o = 2; o + 4 <= jpeg.length; ) {
    if (jpeg[o] !== 0xff) throw new Error(`no marker at ${o}`);
    if (jpeg[o + 1] === code) return o;
    if (jpeg[o + 1] === 0xda) break;
    o += 2 + ((jpeg[o + 2]! << 8) | jpeg[o + 3]!);
  }
  throw new Error(`marker ${code.toString(16)} not found before the scan`);
}

/**
 * A JPEG whose first DC Huffman table also uses the all-ones code: encoders leave that code free (libjpeg
 * requires it), so one more symbol at the longest length fills the code space exactly. The scan never uses
 * the new code, so the data still decodes; libjpeg stops with "Bogus Huffman table definition".
 */
export function bogusHuffmanTable(jpeg: Uint8Array, tableClass: 0 | 1 = 0): Buffer {
  const src = Buffer.from(jpeg);
  // 0xFF 0xC4 can only be a DHT marker (in entropy-coded data 0xFF is followed by 0x00 or a restart).
  let seg = -1;
  let o = -1;
  for (let at = src.indexOf(DHT); at >= 0 && o < 0; at = src.indexOf(DHT, at + 2)) {
    const end = at + 2 + src.readUInt16BE(at + 2);
    for (let p = at + 4; p < end; ) {
      let k = 0;
      for (let i = 1; i <= 16; i++) k += src[p + i]!;
      if (src[p]! >> 4 === tableClass) {
        seg = at;
        o = p;
        break;
      }
      p += 17 + k;
    }
  }
  if (o < 0) throw new Error(`no Huffman table of class ${tableClass}`);
  let n = 0;
  let last = 0;
  for (let i = 1; i <= 16; i++) {
    n += src[o + i]!;
    if (src[o + i]! > 0) last = i;
  }
  const out = Buffer.concat([src.subarray(0, o + 17 + n), Buffer.from([0]), src.subarray(o + 17 + n)]);
  out[o + last]!++;
  out.writeUInt16BE(out.readUInt16BE(seg + 2) + 1, seg + 2);
  return out;
}

const DHT = Buffer.from([0xff, 0xc4]);

/** A JPEG with a segment under a marker libjpeg does not know (0xFF 0x1E: "Unsupported marker type"). */
export function unknownMarker(jpeg: Uint8Array): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0x1e, 0x00, 0x04, 0x00, 0x00]), jpeg.subarray(2)]);
}

/** xorshift32: a fixed sequence for fuzzing with a seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
