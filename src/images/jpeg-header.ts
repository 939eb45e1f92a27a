/**
 * Reads what validation needs from a JPEG's markers (size, components, precision, progressive, EXIF
 * orientation) without decoding: cheaper than a metadata call through libvips for every photo.
 */
export interface JpegHeader {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** Bits per sample: 8 normally, 12 for rare medical/scientific files. */
  precision: number;
  progressive: boolean;
  /** Lossless or arithmetic-coded JPEGs: few decoders (and not Vertex) read them. */
  unusualCoding: boolean;
  orientation: number;
  /** An Adobe APP14 marker with transform 2 (YCCK) or 4 components without one: a CMYK file. */
  adobeTransform?: number;
}

export function isJpeg(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** EXIF orientation from an APP1 payload starting at `o` (after the marker length), or 1. */
function exifOrientation(b: Uint8Array, o: number, end: number): number {
  // "Exif\0\0" then a TIFF header.
  if (end - o < 14 || b[o] !== 0x45 || b[o + 1] !== 0x78 || b[o + 2] !== 0x69 || b[o + 3] !== 0x66) return 1;
  const t = o + 6;
  const le = b[t] === 0x49 && b[t + 1] === 0x49;
  const rd16 = (p: number): number => (le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!);
  const rd32 = (p: number): number => (le ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0 : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0);
  const ifd = t + rd32(t + 4);
  if (ifd + 2 > end) return 1;
  const n = rd16(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return 1;
    if (rd16(e) === 0x0112) {
      const v = rd16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** Parses markers up to the first frame header. Returns undefined when the structure is broken. */
export function readJpegHeader(b: Uint8Array): JpegHeader | undefined {
  if (!isJpeg(b)) return undefined;
  let o = 2;
  let orientation = 1;
  let adobeTransform: number | undefined;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return undefined;
    let marker = b[o + 1]!;
    // Fill bytes.
    while (marker === 0xff && o + 2 < b.length) {
      o++;
      marker = b[o + 1]!;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end or scan before any frame header
    const len = u16be(b, o + 2);
    const seg = o + 4;
    const end = o + 2 + len;
    if (len < 2 || end > b.length) return undefined;
    if (marker === 0xe1) {
      const v = exifOrientation(b, seg, end);
      if (v !== 1) orientation = v;
    } else if (marker === 0xee && len >= 14 && b[seg] === 0x41 && b[seg + 1] === 0x64) {
      adobeTransform = b[seg + 11];
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (len < 8) return undefined;
      const header: JpegHeader = {
        precision: b[seg]!,
        height: u16be(b, seg + 1),
        width: u16be(b, seg + 3),
        components: b[seg + 5]!,
        progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
        unusualCoding: marker === 0xc3 || marker >= 0xc5,
        orientation,
      };
      if (adobeTransform !== undefined) header.adobeTransform = adobeTransform;
      return header;
    }
    o = end;
  }
  return undefined;
}
