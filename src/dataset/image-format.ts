import { extname } from 'node:path';

/** Formats told apart by their first bytes (the extension is only a claim). */
export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'bmp' | 'ico' | 'webp' | 'tiff' | 'heif' | 'avif' | 'jxl' | 'jp2' | 'svg' | 'pdf' | 'psd';

/** Vertex AI AutoML image training accepts these (notes/vertex-and-gcs.md). */
export const VERTEX_FORMATS: ReadonlySet<SniffedFormat> = new Set(['jpeg', 'png', 'gif', 'bmp', 'ico']);

/** Formats sharp's prebuilt libvips decodes here; BMP and ICO are not among them. */
export const DECODABLE_FORMATS: ReadonlySet<SniffedFormat> = new Set(['jpeg', 'png', 'gif', 'webp', 'tiff', 'heif', 'avif', 'svg', 'jp2', 'jxl']);

const EXT_FORMAT: Record<string, SniffedFormat> = {
  '.jpg': 'jpeg', '.jpeg': 'jpeg', '.jpe': 'jpeg', '.jfif': 'jpeg',
  '.png': 'png', '.gif': 'gif', '.bmp': 'bmp', '.dib': 'bmp', '.ico': 'ico',
  '.webp': 'webp', '.tif': 'tiff', '.tiff': 'tiff', '.heic': 'heif', '.heif': 'heif', '.avif': 'avif',
  '.jxl': 'jxl', '.jp2': 'jp2', '.j2k': 'jp2', '.svg': 'svg', '.pdf': 'pdf', '.psd': 'psd',
};

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
  const head = Buffer.from(b.subarray(0, 512)).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  return undefined;
}
