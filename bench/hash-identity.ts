/**
 * Are validate's measures unchanged by a speed-up? Writes every file's hashes, fingerprint and quality
 * measures (what validate caches) to a JSON file, or compares them with a file written before the change.
 *
 *   node dist/bench/hash-identity.js --write before.json DIR...
 *   node dist/bench/hash-identity.js --compare before.json DIR...
 *
 * Measured through the same worker threads validate uses; prints "N/N identical" per measure.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatFromExtension } from '../src/images/image-format.js';
import { createMeasurer } from '../src/images/measure-pool.js';

const args = process.argv.slice(2);
const mode = args[0];
const file = args[1];
const dirs = args.slice(2).map((d) => resolve(d));
if ((mode !== '--write' && mode !== '--compare') || !file || dirs.length === 0) {
  console.error('usage: hash-identity.js --write|--compare FILE.json DIR...');
  process.exit(2);
}

/** The images under `dir` by their names (a dataset's LICENSE or README is not one). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : formatFromExtension(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

type Row = Record<string, unknown>;
const files = dirs.flatMap(walk);
const list = files.map((path) => ({ path, size: statSync(path).size }));
const m = createMeasurer(list.length);
const now: Record<string, Row> = {};
const limits = { maxPixels: 100_000_000, maxReadBytes: 1 << 30 };
for await (const { index, result } of m.measureAll(list, limits)) {
  const r = result as unknown as Row;
  now[files[index]!] = { hashes: r.hashes, fingerprint: r.fingerprint, quality: r.quality, decodeError: r.decodeError, error: r.error };
}
await m.close();

if (mode === '--write') {
  writeFileSync(file, JSON.stringify(now));
  console.log(`${files.length} files written to ${file}`);
} else {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Row>;
  for (const key of ['hashes', 'fingerprint', 'quality', 'decodeError', 'error']) {
    const same = files.filter((f) => JSON.stringify(before[f]?.[key]) === JSON.stringify(now[f]![key]));
    console.log(`${key}: ${same.length}/${files.length} identical`);
    for (const f of files.filter((x) => !same.includes(x)).slice(0, 5)) console.log(`  differs: ${f}: ${JSON.stringify(before[f]?.[key])} -> ${JSON.stringify(now[f]![key])}`);
  }
}
