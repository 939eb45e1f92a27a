import { extname } from 'node:path';
import { loadSharp } from './lazy-sharp.js';

/** Formats told apart by their first bytes (the extension is only a claim). */
export type SniffedFormat =
  | 'jpeg' | 'png' | 'gif' | 'bmp' | 'ico' | 'webp' | 'tiff' | 'heif' | 'avif' | 'jxl' | 'jp2' | 'svg' | 'pdf' | 'psd'
  | 'pbm' | 'pgm' | 'ppm' | 'pam' | 'pfm';

/** Vertex AI AutoML image training accepts these (notes/vertex-and-gcs.md). */
export const VERTEX_FORMATS: ReadonlySet<SniffedFormat> = new Set(['jpeg', 'png', 'gif', 'bmp', 'ico']);

/** sharp's name for the loader of each format it may have (AVIF and HEIC share libheif's). */
const SHARP_LOADER: Partial<Record<SniffedFormat, string>> = {
  jpeg: 'jpeg', png: 'png', gif: 'gif', webp: 'webp', tiff: 'tiff', heif: 'heif', avif: 'heif', svg: 'svg', jp2: 'jp2', jxl: 'jxl', pdf: 'pdf',
  pbm: 'ppm', pgm: 'ppm', ppm: 'ppm', pam: 'ppm', pfm: 'ppm',
};

/**
 * Formats the decoder that training and evaluation use (sharp, src/tflite/preprocess.ts) reads from a
 * buffer here, asked of sharp itself: its prebuilt libvips has no BMP, ICO, Netpbm, JPEG 2000 or JPEG XL
 * loader, and whatever validate keeps must be readable by every later step. Asked when first needed (a
 * measuring thread that only meets plain JPEGs never loads sharp).
 */
let decodable: Promise<ReadonlySet<SniffedFormat>> | undefined;
export function decodableFormats(): Promise<ReadonlySet<SniffedFormat>> {
  return (decodable ??= loadSharp().then((sharp) => {
    const loaders = sharp.format as unknown as Record<string, { input?: { buffer?: boolean } } | undefined>;
    return new Set((Object.keys(SHARP_LOADER) as SniffedFormat[]).filter((f) => loaders[SHARP_LOADER[f]!]?.input?.buffer === true));
  }));
}

const EXT_FORMAT: Record<string, SniffedFormat> = {
  '.jpg': 'jpeg', '.jpeg': 'jpeg', '.jpe': 'jpeg', '.jfif': 'jpeg',
  '.png': 'png', '.gif': 'gif', '.bmp': 'bmp', '.dib': 'bmp', '.ico': 'ico',
  '.webp': 'webp', '.tif': 'tiff', '.tiff': 'tiff', '.heic': 'heif', '.heif': 'heif', '.avif': 'avif',
  '.jxl': 'jxl', '.jp2': 'jp2', '.j2k': 'jp2', '.svg': 'svg', '.pdf': 'pdf', '.psd': 'psd',
  '.pbm': 'pbm', '.pgm': 'pgm', '.ppm': 'ppm', '.pnm': 'ppm', '.pam': 'pam', '.pfm': 'pfm',
};

/** Netpbm's magic numbers: "P" and a digit (or F/f for float maps), then white space. */
const NETPBM: Record<string, SniffedFormat> = { '1': 'pbm', '4': 'pbm', '2': 'pgm', '5': 'pgm', '3': 'ppm', '6': 'ppm', '7': 'pam', F: 'pfm', f: 'pfm' };

/** What the file name claims, or undefined for an unknown/missing extension. */
export function formatFromExtension(path: string): SniffedFormat | undefined {
  return EXT_FORMAT[extname(path).toLowerCase()];
}

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The format from the file's first bytes, or undefined when it is none we know. */
export function sniffFormat(b: Uint8Array): SniffedFormat | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(b, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'gif';
  if (ascii(b, 0, 'BM') && b.length >= 26) return 'bmp';
  if (b.length >= 6 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0 && b[4]! + b[5]! > 0) return 'ico';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp';
  if (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*')) return 'tiff';
  if (ascii(b, 4, 'ftyp')) {
    const brand = String.fromCharCode(...b.subarray(8, 12));
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1', 'heim', 'heis'].includes(brand)) return 'heif';
  }
  if ((b[0] === 0xff && b[1] === 0x0a) || ascii(b, 4, 'JXL ')) return 'jxl';
  if (ascii(b, 4, 'jP  ') || (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51)) return 'jp2';
  if (ascii(b, 0, '%PDF')) return 'pdf';
  if (ascii(b, 0, '8BPS')) return 'psd';
  if (b.length >= 3 && b[0] === 0x50 && /\s/.test(String.fromCharCode(b[2]!))) {
    const pnm = NETPBM[String.fromCharCode(b[1]!)];
    if (pnm) return pnm;
  }
  const head = Buffer.from(b.subarray(0, 512)).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  return undefined;
}
