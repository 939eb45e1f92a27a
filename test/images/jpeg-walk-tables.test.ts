import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { JPEG_WALK_WASM } from '../../src/images/jpeg-walk-wasm.js';
import { buildHuffman, skipWindows } from '../../src/images/jpeg-thumbnail.js';
import { prng } from '../helpers/crafted-images.js';

/*
 * The WebAssembly walker's lookup tables (jpeg-walk.c's build_table and block_table fill them a code at a
 * time, a run of entries per code), checked entry by entry against their definition, one window at a time.
 * Reading the thumbnails cannot check these: a table entry that is missing only sends the walk the slow way
 * (same thumbnail, slower), and many wrong ones are never met by a small test file.
 */
const LOOK = 9;
const SKIP = 12;
const EOB = 1 << 12;
const NONE = 127 << 5;

interface Def {
  ac: boolean;
  counts: number[];
  values: number[];
}

/**
 * (length << 8) | symbol for codes of up to LOOK bits, by the next LOOK bits; undefined when over-subscribed:
 * the TypeScript walker's own table (src/images/jpeg-thumbnail.ts), which is built one window at a time.
 */
function look(d: Def): Int32Array | undefined {
  return buildHuffman(Uint8Array.from(d.counts), Uint8Array.from(d.values), d.ac)?.look;
}

/** A code with its value bits at the top of each SKIP-bit window (see Table.value in jpeg-walk.c). */
function valueTable(d: Def, lk: Int32Array): Int32Array {
  const out = new Int32Array(1 << SKIP);
  for (let p = 0; p < 1 << SKIP; p++) {
    const e = lk[p >> (SKIP - LOOK)]!;
    if (e === 0) continue;
    const sym = e & 255;
    const size = d.ac ? sym & 15 : sym;
    const used = (e >> 8) + size;
    if (used <= SKIP && size > 0 && (d.ac || sym <= 11)) {
      let x = (p >> (SKIP - used)) & ((1 << size) - 1);
      if (x < 1 << (size - 1)) x -= (1 << size) - 1;
      out[p] = d.ac ? (x << 16) | ((sym >> 4) << 8) | used : (x << 4) | used;
    } else if (!d.ac && sym === 0) {
      out[p] = e >> 8;
    }
  }
  return out;
}

/** A chroma block's DC code, then the AC skip entry of the bits left (see Block in jpeg-walk.c). */
function blockTable(dcLook: Int32Array, all: Int32Array): Uint16Array {
  const out = new Uint16Array(1 << SKIP);
  for (let p = 0; p < 1 << SKIP; p++) {
    const e = dcLook[p >> (SKIP - LOOK)]!;
    const sym = e & 255;
    const used = (e >> 8) + sym;
    if (e === 0 || sym > 11 || used > SKIP) {
      out[p] = NONE;
      continue;
    }
    const rest = SKIP - used;
    const r = rest > 0 ? all[(1 << rest) + (p & ((1 << rest) - 1))]! : NONE;
    const radv = (r >> 5) & 127;
    out[p] = r === NONE || 1 + radv > 64 ? used | (1 << 5) : (used + (r & 31)) | ((1 + radv) << 5) | (r & EOB);
  }
  return out;
}

/** Random tables: full and partial code spaces, short and long codes, runs, ZRL, EOB, DC categories 0-15. */
function randomDef(rand: () => number, ac: boolean): Def {
  const counts = new Array<number>(16).fill(0);
  let n = 0;
  let room = 2;
  const most = ac ? 162 : 16;
  for (let l = 0; l < 16 && room > 0 && n < most; l++) {
    const c = Math.min(Math.floor(rand() * (l < 3 ? 3 : 7)), most - n, room - 1);
    counts[l] = Math.max(0, c);
    n += counts[l]!;
    room = (room - counts[l]!) * 2;
    if (rand() < 0.05) break;
  }
  const values: number[] = [];
  for (let k = 0; k < n; k++) {
    if (!ac) values.push(Math.floor(rand() * (rand() < 0.9 ? 12 : 16)));
    else if (rand() < 0.08) values.push(rand() < 0.5 ? 0 : 0xf0);
    else values.push((Math.floor(rand() * 16) << 4) | (1 + Math.floor(rand() * (rand() < 0.8 ? 6 : 15))));
  }
  return { ac, counts, values };
}

/** The Huffman tables in a JPEG's DHT segments. */
function tablesOf(file: Uint8Array): Def[] {
  const out: Def[] = [];
  for (let i = 2; i + 4 <= file.length && file[i] === 0xff; ) {
    const marker = file[i + 1]!;
    const length = (file[i + 2]! << 8) | file[i + 3]!;
    if (marker === 0xda) break;
    if (marker === 0xc4) {
      for (let j = i + 4; j < i + 2 + length; ) {
        const counts = [...file.subarray(j + 1, j + 17)];
        const n = counts.reduce((a, b) => a + b, 0);
        out.push({ ac: file[j]! >> 4 === 1, counts, values: [...file.subarray(j + 17, j + 17 + n)] });
        j += 17 + n;
      }
    }
    i += 2 + length;
  }
  return out;
}

function walkerModule() {
  const x = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(JPEG_WALK_WASM, 'base64')), {}).exports as Record<string, unknown>;
  const memory = x.memory as WebAssembly.Memory;
  const fn = (name: string) => x[name] as (...a: number[]) => number;
  return {
    /** Builds `d` into slot `i`: 1, or 0 when over-subscribed. */
    build(i: number, d: Def): number {
      const src = new Uint8Array(memory.buffer, fn('table_src')(i), 16 + 256);
      src.fill(0);
      src.set(d.counts);
      src.set(d.values, 16);
      return fn('build_table')(i, d.ac ? 1 : 0);
    },
    skip: (i: number) => new Uint16Array(memory.buffer, fn('table_skip')(i), 1 << (SKIP + 1)),
    value: (i: number) => new Int32Array(memory.buffer, fn('table_value')(i), 1 << SKIP),
    block: (dc: number, ac: number) => new Uint16Array(memory.buffer, fn('table_block')(dc, ac), 1 << SKIP),
  };
}

/** The first entry where two tables differ, as text (undefined when equal): a short failure message. */
function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>, from = 0): string | undefined {
  for (let i = from; i < want.length; i++) if (got[i] !== want[i]) return `entry ${i}: ${got[i]} instead of ${want[i]}`;
  return undefined;
}

describe("the WebAssembly walker's tables", () => {
  it('equal their window-by-window definition, for random tables and those of optimised JPEGs, in rotating slots', async () => {
    const rand = prng(18);
    const defs: Def[] = [];
    for (let n = 0; n < 150; n++) defs.push(randomDef(rand, false), randomDef(rand, true));
    // Real encoders' tables: libjpeg's optimised ones for a noisy and a smooth picture, and its standard ones.
    for (const [q, noise] of [
      [95, 80],
      [60, 5],
    ] as const) {
      const px = new Uint8Array(96 * 64 * 3).map((_v, i) => Math.max(0, Math.min(255, ((i * 7) % 251) + Math.round((rand() - 0.5) * noise))));
      const raw = sharp(px, { raw: { width: 96, height: 64, channels: 3 } });
      defs.push(...tablesOf(await raw.clone().jpeg({ quality: q, optimiseCoding: true, chromaSubsampling: '4:4:4' }).toBuffer()));
      defs.push(...tablesOf(await raw.clone().jpeg({ quality: q, optimiseCoding: false }).toBuffer()));
    }
    // Chains that advance exactly as far as an entry may (100 positions; a chroma block's DC and AC, 64):
    // a 1-bit ZRL (16 zeros), six of them then a run of 3 (0 0 0 0 0 0 10x) make 100; three then a run of 14
    // (1110x) after a 1-bit DC make 64.
    defs.push({ ac: false, counts: [1, ...new Array<number>(15).fill(0)], values: [0] });
    defs.push({ ac: true, counts: [1, 1, 1, 1, ...new Array<number>(12).fill(0)], values: [0xf0, 0x31, 0x00, 0xe1] });
    const m = walkerModule();
    let built = 0;
    let filled = 0;
    let lastDc: { slot: number; lk: Int32Array } | undefined;
    for (const [n, d] of defs.entries()) {
      const slot = n % 8;
      const lk = look(d);
      expect(m.build(slot, d), `table ${n} built`).toBe(lk ? 1 : 0);
      if (!lk) continue;
      built++;
      expect(firstDifference(m.value(slot), valueTable(d, lk)), `value table ${n}`).toBeUndefined();
      if (!d.ac) {
        lastDc = { slot, lk };
        continue;
      }
      // The TypeScript walker's skip entries, every window size (built one window at a time).
      const all = skipWindows(lk);
      expect(firstDifference(m.skip(slot), all, 2), `skip table ${n}`).toBeUndefined();
      for (let p = 0; p < 1 << SKIP; p++) if (all[(1 << SKIP) + p] !== NONE) filled++;
      if (lastDc) expect(firstDifference(m.block(lastDc.slot, slot), blockTable(lastDc.lk, all)), `block table ${n}`).toBeUndefined();
    }
    // The check means something: most tables build, and their skip tables are mostly filled.
    expect(built).toBeGreaterThan(250);
    expect(filled).toBeGreaterThan(100 * (1 << SKIP));
  });
});
