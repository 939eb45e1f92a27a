/**
 * bench/startup: time to `edgewise --help` and to the wizard's first frame, against bare `node -e ""` in
 * the same run (the machine is shared: the ratio is the stable number). The wizard runs in a real pseudo
 * terminal made by util-linux `script`, and the clock stops when the first frame's text arrives.
 *   node dist/bench/startup.js [runs]
 * Compare the bundled wizard with the unbundled one by running it with and without dist/wizard.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const runs = Number(process.argv[2] ?? 15);
// main.js loads the wizard from the rolldown bundle when it is built (npm run build / prepare / test).
const bundled = existsSync(fileURLToPath(new URL('../wizard/open.js', import.meta.url)));

function timeSync(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

function firstFrame(cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn('script', ['-qfc', `node ${CLI}`, '/dev/null'], {
      cwd,
      env: { ...process.env, CI: 'false', EDGEWISE_NO_PREFS: '1', TERM: 'xterm-256color', COLUMNS: '80', LINES: '24' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Where should models train?')) {
        const ms = performance.now() - t;
        child.kill('SIGKILL');
        resolve(ms);
      }
    });
    child.on('exit', () => reject(new Error(`wizard exited before its first frame:\n${out}`)));
  });
}

function stats(xs: number[]): { median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]! };
}

const bare: number[] = [];
const help: number[] = [];
const frame: number[] = [];
const ws = mkdtempSync(join(tmpdir(), 'edgewise-startup-'));
try {
  for (let i = 0; i < runs; i++) {
    bare.push(timeSync(['-e', '']));
    help.push(timeSync([CLI, '--help']));
    frame.push(await firstFrame(ws));
  }
} finally {
  rmSync(ws, { recursive: true, force: true });
}
const b = stats(bare);
const h = stats(help);
const f = stats(frame);
console.log(`runs: ${runs}   wizard loaded from: ${bundled ? 'dist/wizard (bundle)' : 'dist/screens (modules; no bundle built)'}`);
console.log(`node -e ""            median ${b.median.toFixed(0)} ms  p90 ${b.p90.toFixed(0)} ms`);
console.log(`edgewise --help       median ${h.median.toFixed(0)} ms  p90 ${h.p90.toFixed(0)} ms  (${(h.median / b.median).toFixed(2)}× bare node; goal < 300 ms)`);
console.log(`wizard first frame    median ${f.median.toFixed(0)} ms  p90 ${f.p90.toFixed(0)} ms  (${(f.median / b.median).toFixed(2)}× bare node; goal < 500 ms)`);
