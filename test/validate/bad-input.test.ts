/**
 * The bad-input suite: a corpus built here (crafted formats, seeded truncations and byte flips of JPEG and
 * PNG, hostile manifests, hostile workspace files, special files) through `validate`, and every image it
 * keeps through the decoder train and evaluate use. Asserts: no crash (only named errors), no hang (each
 * run bounded), nothing kept that the train decoder cannot read. Prints how many inputs were tried and
 * what became of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import { EdgewiseError } from '../../src/core/errors.js';
import { runStepCollect } from '../../src/core/step.js';
import { splitStep } from '../../src/split/split-step.js';
import type { ValidationReport } from '../../src/validate/validate-report.js';
import { validateStep } from '../../src/validate/validate-step.js';
import { preprocessImage } from '../../src/tflite/preprocess.js';
import { bmp, bogusHuffmanTable, ico, netpbm, prng, unknownMarker } from '../helpers/crafted-images.js';
import { makeTempDir } from '../helpers/tmp.js';
import { photo, raw } from './validate-fixtures.js';

/** Longest any single validate run may take before it counts as a hang. */
const BOUND_MS = 20_000;

type Outcome = 'kept' | 'warned' | `refused ${string}` | `run refused ${string}` | 'run completed';
const tally = new Map<string, { kind: string; n: number }>();
let tried = 0;
function count(kind: string, outcome: Outcome): void {
  tried++;
  const key = `${kind}\t${outcome}`;
  tally.set(key, { kind, n: (tally.get(key)?.n ?? 0) + 1 });
}

async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${BOUND_MS} ms (a hang)`)), BOUND_MS);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs validate; a named EdgewiseError is an outcome, anything else (a crash) fails the test. */
async function validate(root: string): Promise<{ report?: ValidationReport; refused?: EdgewiseError }> {
  const ctx = createContext({ root, config: ConfigSchema.parse({}), force: true });
  try {
    await bounded(`validate ${root}`, runStepCollect(validateStep, {}, ctx));
  } catch (e) {
    if (e instanceof EdgewiseError && e.code && e.code !== 'internal') return { refused: e };
    throw e;
  }
  return { report: JSON.parse(readFileSync(join(root, 'ml', 'dataset', 'report.json'), 'utf8')) as ValidationReport };
}

const trainReads = (file: string): Promise<string | undefined> =>
  preprocessImage(file, { width: 224, height: 224 }).then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );

function workspace(tmp: string, name: string): { root: string; images: string } {
  const root = join(tmp, name);
  const images = join(root, 'ml', 'dataset', 'images');
  mkdirSync(images, { recursive: true });
  return { root, images };
}

/** Seeded damage: truncation, one byte set, one bit flipped (anywhere, or in the headers before the data). */
function damaged(file: Buffer, seed: number, n: number, headerEnd: number): Buffer[] {
  const rand = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.from(file);
    const at = (limit: number): number => Math.floor(rand() * limit);
    switch (i % 4) {
      case 0:
        out.push(b.subarray(0, at(b.length)));
        continue;
      case 1:
        b[2 + at(headerEnd - 2)] = at(256);
        break;
      case 2:
        b[2 + at(headerEnd - 2)]! ^= 1 << at(8);
        break;
      default:
        b[at(b.length)]! ^= 1 << at(8);
    }
    out.push(b);
  }
  return out;
}

const tmp = makeTempDir('edgewise-bad-input-');
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  tmp.cleanup();
  const rows = [...tally.entries()].map(([key, v]) => [key.split('\t')[0]!, key.split('\t')[1]!, v.n] as const).sort((a, b) => a[0].localeCompare(b[0]) || b[2] - a[2]);
  const w = Math.max(...rows.map((r) => r[0].length), 5);
  const lines = [`bad-input suite: ${tried} inputs tried`, `${'input'.padEnd(w)}  ${'n'.padStart(4)}  outcome`, ...rows.map(([k, o, n]) => `${k.padEnd(w)}  ${String(n).padStart(4)}  ${o}`)];
  console.log(lines.join('\n'));
});

describe('bad-input suite', () => {
  it('images: crafted formats and seeded damage; validate keeps only what the train decoder reads', async () => {
    const { root, images } = workspace(tmp.dir, 'images');
    const files: Array<{ name: string; kind: string; bytes: Buffer }> = [];
    const add = (kind: string, name: string, bytes: Buffer): void => void files.push({ kind, name, bytes });
    const big = raw(photo(640, 512, 'bad-big'));
    const mid = raw(photo(400, 300, 'bad-mid'));
    const small = raw(photo(160, 120, 'bad-small'));
    const jpegs = {
      baseline: await big.clone().jpeg({ quality: 85 }).toBuffer(),
      standardTables: await mid.clone().jpeg({ quality: 85, optimiseCoding: false }).toBuffer(),
      progressive: await big.clone().jpeg({ quality: 85, progressive: true }).toBuffer(),
      small: await small.clone().jpeg({ quality: 85 }).toBuffer(),
    };
    const png = await mid.clone().png().toBuffer();
    add('control', 'ok.jpg', jpegs.baseline);
    add('control', 'ok.png', png);
    add('format', 'a.bmp', bmp(120, 90));
    add('format', 'huge.bmp', bmp(60000, 60000, { pixels: false }));
    add('format', 'a.ico', await ico(64));
    add('format', 'a.ppm', netpbm('P6', 80, 60));
    add('format', 'b.pgm', netpbm('P5', 80, 60));
    add('format', 'c.ppm', netpbm('P3', 40, 40));
    add('format', 'still.gif', await small.clone().gif().toBuffer());
    add('format', 'a.webp', await small.clone().webp().toBuffer());
    add('format', 'text.jpg', Buffer.from('just some notes, renamed\n'));
    add('format', 'page.png', Buffer.from('<html><body>not a png</body></html>\n'));
    add('format', 'empty.jpg', Buffer.alloc(0));
    // Headers claiming huge sizes: a PNG bomb and a JPEG frame of 65500 x 65500 with no data.
    const ihdrBomb = Buffer.from(png);
    ihdrBomb.writeUInt32BE(60000, 16);
    ihdrBomb.writeUInt32BE(60000, 20);
    add('huge header', 'bomb.png', ihdrBomb);
    const sofBomb = Buffer.from(jpegs.small);
    const sof = sofBomb.indexOf(Buffer.from([0xff, 0xc0]));
    sofBomb.writeUInt16BE(65500, sof + 5);
    sofBomb.writeUInt16BE(65500, sof + 7);
    add('huge header', 'bomb.jpg', sofBomb);
    add('libjpeg rule', 'allones.jpg', bogusHuffmanTable(jpegs.standardTables));
    add('libjpeg rule', 'marker.jpg', unknownMarker(jpegs.baseline));
    add('libjpeg rule', 'prog-ac.jpg', bogusHuffmanTable(jpegs.progressive, 1));
    const sosOf = (b: Buffer): number => b.indexOf(Buffer.from([0xff, 0xda]));
    damaged(jpegs.baseline, 101, 40, sosOf(jpegs.baseline)).forEach((b, i) => add('fuzzed JPEG 1/8', `fz8_${i}.jpg`, b));
    damaged(jpegs.standardTables, 202, 24, sosOf(jpegs.standardTables)).forEach((b, i) => add('fuzzed JPEG 1/4', `fz4_${i}.jpg`, b));
    damaged(jpegs.progressive, 303, 24, sosOf(jpegs.progressive)).forEach((b, i) => add('fuzzed JPEG progressive', `fzp_${i}.jpg`, b));
    damaged(jpegs.small, 404, 16, sosOf(jpegs.small)).forEach((b, i) => add('fuzzed JPEG small', `fzs_${i}.jpg`, b));
    damaged(png, 505, 32, png.indexOf('IDAT')).forEach((b, i) => add('fuzzed PNG', `fzn_${i}.png`, b));

    // Special files listed as images: nothing may open them.
    const fifo = join(images, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    const sock = join(images, 'sock.jpg');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((r) => server.listen(sock, r));
    symlinkSync('/dev/zero', join(images, 'zero.jpg'));
    symlinkSync(join(images, 'nowhere.jpg'), join(images, 'dangling.jpg'));
    symlinkSync(join(images, 'loop_b.jpg'), join(images, 'loop_a.jpg'));
    symlinkSync(join(images, 'loop_a.jpg'), join(images, 'loop_b.jpg'));
    mkdirSync(join(images, 'folder.jpg'));
    const special = ['pipe.jpg', 'sock.jpg', 'zero.jpg', 'dangling.jpg', 'loop_a.jpg', 'folder.jpg'];

    for (const f of files) writeFileSync(join(images, f.name), f.bytes);
    const rows = ['image,label', ...files.map((f, i) => `${f.name},${i % 2 ? 'a' : 'b'}`), ...special.map((s, i) => `${s},${i % 2 ? 'a' : 'b'}`)];
    writeFileSync(join(root, 'ml', 'dataset', 'manifest.csv'), rows.join('\n') + '\n');

    const { report, refused } = await validate(root);
    expect(refused, refused?.message).toBeUndefined();
    const kindOf = new Map([...files.map((f) => [f.name, f.kind] as const), ...special.map((s) => [s, 'special file'] as const)]);
    const unreadable: string[] = [];
    for (const img of report!.images) {
      const kind = kindOf.get(img.image)!;
      const mine = [...report!.errors, ...report!.warnings].filter((f) => f.item === img.image);
      if (img.status === 'rejected') {
        const err = report!.errors.find((e) => e.item === img.image);
        expect(err, `${img.image} rejected without an error`).toBeDefined();
        count(kind, `refused ${err!.code}`);
        continue;
      }
      count(kind, mine.some((f) => f.code !== 'duplicate.exact' && f.code !== 'duplicate.near') ? 'warned' : 'kept');
      const why = await trainReads(join(images, img.image));
      if (why) unreadable.push(`${img.image}: ${why}`);
    }
    expect(report!.images.length).toBe(files.length + special.length);
    expect(unreadable, 'kept by validate, refused by the train decoder').toEqual([]);
    // The controls are kept; each crafted format and special file is refused.
    expect(report!.images.filter((i) => i.status !== 'rejected').map((i) => i.image)).toEqual(expect.arrayContaining(['ok.jpg', 'ok.png']));
    for (const name of ['a.bmp', 'huge.bmp', 'a.ico', 'a.ppm', 'b.pgm', 'c.ppm', 'text.jpg', 'page.png', 'empty.jpg', 'bomb.png', 'bomb.jpg', 'allones.jpg', 'marker.jpg', 'prog-ac.jpg', ...special]) {
      expect(report!.images.find((i) => i.image === name)?.status, name).toBe('rejected');
    }
  });

  it('manifests: encodings, control characters, formula labels, huge rows, broken CSV', async () => {
    const ok = await Promise.all([0, 1, 2, 3].map((i) => raw(photo(160, 120, `bad-manifest-${i}`)).jpeg().toBuffer()));
    const cases: Array<[name: string, body: Buffer]> = [
      ['latin-1', Buffer.from('image,label\np0.jpg,caf\u00e9\np1.jpg,tea\n', 'latin1')],
      ['utf-16 with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('image,label\np0.jpg,cat\np1.jpg,dog\n', 'utf16le')])],
      ['utf-16 without BOM', Buffer.from('image,label\np0.jpg,cat\np1.jpg,dog\n', 'utf16le')],
      ['newline in label', Buffer.from('image,label\np0.jpg,"a\nb"\np1.jpg,dog\n')],
      ['escape in label', Buffer.from('image,label\np0.jpg,\u001b]0;pwned\u0007\np1.jpg,\u001b[31mred\n')],
      ['escape in name', Buffer.from('image,label\n"\u001b[2Jp0.jpg",cat\np1.jpg,dog\n')],
      ['formula labels', Buffer.from("image,label\np0.jpg,=1+2\np1.jpg,\"+cmd|' /C calc'!A0\"\np2.jpg,@SUM(A1:A9)\np3.jpg,-2\n")],
      ['NUL in a row', Buffer.from('image,label\np0\u0000.jpg,cat\np1.jpg,dog\n')],
      ['huge label', Buffer.from(`image,label\np0.jpg,${'x'.repeat(200_000)}\np1.jpg,dog\n`)],
      ['huge name', Buffer.from(`image,label\n${'n'.repeat(5000)}.jpg,cat\np1.jpg,dog\n`)],
      ['deep path', Buffer.from(`image,label\n${'d/'.repeat(3000)}p0.jpg,cat\np1.jpg,dog\n`)],
      ['3,000 rows', Buffer.from(['image,label', ...Array.from({ length: 3000 }, (_v, i) => `missing_${i}.jpg,c${i % 7}`), 'p0.jpg,cat'].join('\n'))],
      ['unclosed quote', Buffer.from('image,label\n"p0.jpg,cat\np1.jpg,dog\n')],
      ['no label column', Buffer.from('image,class\np0.jpg,cat\n')],
      ['header only', Buffer.from('image,label\n')],
      ['empty', Buffer.alloc(0)],
      ['binary', Buffer.from(Array.from({ length: 4096 }, (_v, i) => (i * 7919) & 255))],
      ['escaping paths', Buffer.from('image,label\n../../etc/passwd,cat\n/etc/hostname,dog\nfile:///etc/passwd,x\nC:\\\\win.jpg,y\np0.jpg,cat\n')],
      ['NFC and NFD', Buffer.from('image,label\np0.jpg,caf\u00e9\np1.jpg,cafe\u0301\n')],
      ['padded names', Buffer.from('image,label\n p0.jpg ,cat\n"p1.jpg  ",dog\n')],
    ];
    for (const [name, body] of cases) {
      const { root, images } = workspace(tmp.dir, `manifest-${tried}`);
      for (let i = 0; i < 4; i++) writeFileSync(join(images, `p${i}.jpg`), ok[i]!);
      writeFileSync(join(root, 'ml', 'dataset', 'manifest.csv'), body);
      const { report, refused } = await validate(root);
      if (refused) {
        count(`manifest: ${name}`, `run refused ${refused.code}`);
        continue;
      }
      // Class-balance errors follow from a two-row manifest, not from what the case is about.
      const codes = [...new Set(report!.errors.map((e) => e.code))].filter((c) => !c.startsWith('balance.')).sort();
      count(`manifest: ${name}`, codes.length ? `refused ${codes.join(' ')}` : report!.warnings.some((w) => !w.code.startsWith('balance.')) ? 'warned' : 'kept');
      for (const img of report!.images.filter((i) => i.status === 'kept')) expect(await trainReads(join(images, img.image)), img.image).toBeUndefined();
    }
  });

  it('workspace files: garbage where edgewise keeps its state, and a split of nothing', async () => {
    const garbage: Array<[name: string, rel: string, body: string]> = [
      ['journal not JSON', '.edgewise/journal.json', '{"steps": {'],
      ['journal wrong shape', '.edgewise/journal.json', '{"steps": [1, 2, 3], "version": "x"}'],
      ['hash cache not JSON', '.edgewise/cache/validate-images.json', '\u0000\u0001garbage'],
      ['hash cache poisoned', '.edgewise/cache/validate-images.json', JSON.stringify({ version: 3, limits: { maxPixels: 100_000_000, maxReadBytes: 209_715_200 }, entries: { 'p0.jpg': { size: 'big', mtimeMs: null, measure: { bytes: -1 } } } })],
      ['report.json garbage', 'ml/dataset/report.json', '[]'],
      ['edgewise.json not JSON', 'edgewise.json', '{ backend: local'],
      ['edgewise.json hostile values', 'edgewise.json', JSON.stringify({ backend: 'local', validate: { maxPixels: -1, nearRadius: 99 } })],
    ];
    for (const [name, rel, body] of garbage) {
      const { root, images } = workspace(tmp.dir, `ws-${tried}`);
      for (let i = 0; i < 4; i++) writeFileSync(join(images, `p${i}.jpg`), await raw(photo(160, 120, `ws${i}`)).jpeg().toBuffer());
      writeFileSync(join(root, 'ml', 'dataset', 'manifest.csv'), 'image,label\np0.jpg,a\np1.jpg,a\np2.jpg,b\np3.jpg,b\n');
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), body);
      let outcome: Outcome;
      try {
        // edgewise.json is read where the context is made: a named error there is an outcome too.
        const cfg = rel === 'edgewise.json' ? loadConfig({ root, env: {} }) : ConfigSchema.parse({});
        const ctx = createContext({ root, config: cfg, force: true });
        await bounded(name, runStepCollect(validateStep, {}, ctx));
        outcome = 'run completed';
      } catch (e) {
        if (!(e instanceof EdgewiseError)) throw e;
        outcome = `run refused ${e.code}`;
      }
      count(`workspace: ${name}`, outcome);
    }
    // Every image refused: the cleaned manifest is empty, and split must say so rather than succeed.
    const { root, images } = workspace(tmp.dir, 'nothing-to-split');
    writeFileSync(join(images, 'a.jpg'), 'text');
    writeFileSync(join(root, 'ml', 'dataset', 'manifest.csv'), 'image,label\na.jpg,cat\n');
    await validate(root);
    const ctx = createContext({ root, config: ConfigSchema.parse({}), force: true });
    const err = await runStepCollect(splitStep, {}, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgewiseError);
    count('workspace: split of 0 images', `run refused ${(err as EdgewiseError).code}`);
  });
});

beforeAll(() => {
  tally.clear();
  tried = 0;
});

// sharp is used to build the corpus; keep its cache from holding every variant.
sharp.cache(false);
