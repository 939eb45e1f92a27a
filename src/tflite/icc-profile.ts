import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Which embedded colour profiles the shared preprocessing may leave unapplied.
 *
 * sharp converts every image with an embedded ICC profile to sRGB through lcms, and that transform costs
 * as much as the JPEG decode itself (500×375 photo: 4.2 → 9.4 CPU ms; docs/notes/local-backbone.md). Most
 * embedded profiles ARE sRGB (cameras and editors write "sRGB IEC61966-2.1"): for them the transform only
 * adds lcms' rounding, one level on 0.85 % of all 2^24 colours (saturated ones such as (0, 208, 0) →
 * (1, 208, 0)) and none on the real photos measured. So a profile whose transform moves no colour of a
 * lattice over the whole cube by more than one level is skipped; any other profile (Adobe RGB, Display P3,
 * a "sRGB" whose curves differ by up to 9 levels, grey or CMYK profiles) is applied as before.
 */

/**
 * Lattice levels per channel (0, 15, …, 255): 18³ = 5,832 colours, the cube's faces and edges included. On the
 * 16 distinct profiles of the two photo sets and on nudged sRGB profiles it gives the same verdicts as a lattice
 * of 52³ colours, at ≈ 8 ms per profile instead of ≈ 87 (most of it lcms building the transform).
 */
const LEVELS = Array.from({ length: 18 }, (_, i) => i * 15);
/** Largest change a skipped profile may make to a lattice colour, in 8-bit levels. */
export const SRGB_TOLERANCE = 1;

const verdicts = new Map<string, Promise<boolean>>();

/**
 * True when applying `profile` to sRGB-encoded pixels moves no lattice colour by more than one level. Memoised
 * per profile, not counting its creation date and profile ID (header bytes 24–35 and 84–99, which do not
 * change the colours), so photos saved at different times with the same profile are judged once.
 */
export function profileActsAsSrgb(profile: Uint8Array): Promise<boolean> {
  const hash = createHash('sha256');
  if (profile.length >= 128) hash.update(profile.subarray(0, 24)).update(profile.subarray(36, 84)).update(profile.subarray(100));
  else hash.update(profile);
  const key = hash.digest('hex');
  let v = verdicts.get(key);
  if (!v) {
    v = measureProfile(profile).catch(() => false);
    verdicts.set(key, v);
  }
  return v;
}

/** How many distinct profiles have been measured in this thread (for tests). */
export function profilesMeasured(): number {
  return verdicts.size;
}

async function measureProfile(profile: Uint8Array): Promise<boolean> {
  // Header: data colour space at byte 16. Only RGB profiles can be judged against sRGB pixels.
  if (profile.length < 132 || Buffer.from(profile.subarray(16, 20)).toString('latin1') !== 'RGB ') return false;
  const { png, pixels } = latticePng(profile);
  const out = await sharp(png).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (out.info.channels !== 3 || out.data.length !== pixels.length) return false;
  for (let i = 0; i < pixels.length; i++) if (Math.abs(out.data[i]! - pixels[i]!) > SRGB_TOLERANCE) return false;
  return true;
}

/** A PNG of every lattice colour with `profile` embedded (iCCP), and its pixels. */
function latticePng(profile: Uint8Array): { png: Buffer; pixels: Uint8Array } {
  const n = LEVELS.length;
  const width = n * n;
  const height = n;
  const pixels = new Uint8Array(width * height * 3);
  const scanlines = Buffer.alloc(height * (1 + width * 3));
  let p = 0;
  let s = 0;
  for (let r = 0; r < n; r++) {
    scanlines[s++] = 0; // filter: none
    for (let g = 0; g < n; g++) {
      for (let b = 0; b < n; b++) {
        pixels[p++] = scanlines[s++] = LEVELS[r]!;
        pixels[p++] = scanlines[s++] = LEVELS[g]!;
        pixels[p++] = scanlines[s++] = LEVELS[b]!;
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const iccp = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(profile)]);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('iCCP', iccp),
    chunk('IDAT', deflateSync(scanlines, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return { png, pixels };
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * The ICC profile embedded in a JPEG's APP2 "ICC_PROFILE" segments, joined in sequence order; undefined
 * when there is none or the segments do not form one whole profile (then libvips decides, as before).
 * Reads markers only, so it costs microseconds where asking libvips for metadata costs ≈ 0.25 ms.
 */
export function jpegIccProfile(b: Uint8Array): Uint8Array | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  const parts: Uint8Array[] = [];
  let count = 0;
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return undefined;
    const marker = b[o + 1]!;
    if (marker === 0xff) {
      o++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // the profile precedes the scans
    const end = o + 2 + ((b[o + 2]! << 8) | b[o + 3]!);
    if (end > b.length || end < o + 4) return undefined;
    // "ICC_PROFILE\0", sequence number (from 1), number of segments, then the bytes.
    if (marker === 0xe2 && end - o >= 18 && Buffer.from(b.subarray(o + 4, o + 16)).toString('latin1') === 'ICC_PROFILE\0') {
      const seq = b[o + 16]!;
      const n = b[o + 17]!;
      if (seq < 1 || n < 1 || seq > n || (count && n !== count) || parts[seq - 1]) return undefined;
      count = n;
      parts[seq - 1] = b.subarray(o + 18, end);
    }
    o = end;
  }
  if (!count) return undefined;
  for (let i = 0; i < count; i++) if (!parts[i]) return undefined;
  return count === 1 ? parts[0] : Buffer.concat(parts);
}
