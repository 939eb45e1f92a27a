import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { createContext } from '../src/core/context.js';
import { runStepCollect } from '../src/core/step.js';
import { uploadStep } from '../src/cloud/upload-step.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { installNetworkGuard } from '../test/integration/guard.js';

/**
 * Upload throughput against the fake Cloud Storage with added per-request latency (a stand-in for the
 * round trip to Google): the parallel upload (default concurrency 16) as a ratio to a one-at-a-time upload
 * of the same files, in the same process; then the requests a rerun on unchanged data makes.
 *
 *   node dist/bench/upload.js [IMAGES_DIR] [--latency MS] [--files N]
 *
 * IMAGES_DIR defaults to ../shared/data/hymenoptera_data (its train split); without it, random 20 KB files.
 */
const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const latency = opt('latency', 40);
const maxFiles = opt('files', 120);
const source = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? '../shared/data/hymenoptera_data';

const guard = installNetworkGuard();
process.env.GOOGLE_OAUTH_ACCESS_TOKEN = 'bench-token';
const BUCKET = 'edgewise-bench';

function collect(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(jpe?g|png)$/i.test(n)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'edgewise-bench-upload-'));
const images = join(root, 'ml/dataset/images');
mkdirSync(images, { recursive: true });
let files: Array<{ name: string; label: string }> = [];
const srcDir = existsSync(join(source, 'train')) ? join(source, 'train') : source;
if (existsSync(srcDir)) {
  for (const p of collect(srcDir).slice(0, maxFiles)) {
    const rel = relative(srcDir, p).split('/');
    const name = rel.join('_');
    writeFileSync(join(images, name), readFileSync(p));
    files.push({ name, label: rel[0] ?? 'x' });
  }
}
if (files.length === 0) {
  const { randomBytes } = await import('node:crypto');
  files = Array.from({ length: maxFiles }, (_, i) => ({ name: `img_${i}.jpg`, label: i % 2 ? 'a' : 'b' }));
  for (const f of files) writeFileSync(join(images, f.name), randomBytes(20_000));
}
const bytes = files.reduce((a, f) => a + statSync(join(images, f.name)).size, 0);
function sizeAndSha256(path: string): { bytes: number; sha256: string } {
  const data = readFileSync(path);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}
// Upload sends only images validate kept, unchanged: the report validate would have written.
writeFileSync(join(root, 'ml/dataset/report.json'), JSON.stringify({ version: 1, images: files.map((f) => ({ image: f.name, status: 'kept', ...sizeAndSha256(join(images, f.name)) })) }));

// The fake runs in its own process, as a remote server would: the client's CPU is measured alone.
const server = spawn(process.execPath, [fileURLToPath(new URL('../test/integration/fakes/serve.js', import.meta.url)), '--json', '--token', 'bench-token', '--bucket', BUCKET, '--latency', String(latency)], { stdio: ['ignore', 'pipe', 'inherit'] });
const gcsUrl = await new Promise<string>((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const line = buf.split('\n')[0];
    if (buf.includes('\n') && line) resolve((JSON.parse(line) as { gcs: string }).gcs);
  });
  server.on('exit', (c) => reject(new Error(`fake server exited (${c})`)));
});
const stats = async (): Promise<number> => ((await (await fetch(`${gcsUrl}/__fake/stats`)).json()) as { requests: number }).requests;

async function run(concurrency: number, prefix: string): Promise<{ seconds: number; uploaded: number; requests: number }> {
  writeFileSync(join(root, 'ml/dataset/vertex_dataset.csv'), files.map((f) => `training,gs://${BUCKET}/${prefix}/images/${f.name},${f.label}`).join('\n') + '\n');
  const config = parseConfig(
    {
      project: 'bench-project',
      bucket: BUCKET,
      prefix,
      vertex: { apiEndpoint: 'http://127.0.0.1:9' },
      storage: { apiEndpoint: gcsUrl },
      train: { vertex: { concurrency, retryBaseMs: 5 } },
    },
    'bench',
  );
  const before = await stats();
  const t = performance.now();
  const { output } = await runStepCollect(uploadStep, {}, createContext({ root, config }));
  const seconds = (performance.now() - t) / 1000;
  return { seconds, uploaded: output.uploaded, requests: (await stats()) - before - 1 };
}

console.log(`upload bench: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, +${latency} ms per request (fake GCS in its own process on 127.0.0.1)`);
const serial = await run(1, 'serial');
const parallel = await run(16, 'parallel');
const rerun = await run(16, 'parallel');
console.log(`one at a time:   ${serial.seconds.toFixed(2)} s  (${(files.length / serial.seconds).toFixed(1)} files/s, ${serial.requests} requests)`);
console.log(`parallel (16):   ${parallel.seconds.toFixed(2)} s  (${(files.length / parallel.seconds).toFixed(1)} files/s, ${parallel.requests} requests)`);
console.log(`throughput ratio parallel/serial: ${(serial.seconds / parallel.seconds).toFixed(1)}x  (goal >= 8x)`);
console.log(`no-change rerun: ${rerun.uploaded} objects uploaded, ${rerun.requests} requests (bucket check + listing pages)`);

server.kill('SIGTERM');

rmSync(root, { recursive: true, force: true });
if (guard.violations.length) {
  console.error(`network guard: ${guard.violations.join('; ')}`);
  process.exitCode = 1;
}
