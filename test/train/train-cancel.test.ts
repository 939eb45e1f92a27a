import { spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { ortSkipReason } from '../helpers/onnxruntime.js';
import { floatEngineHere } from './embedding-helpers.js';
import { syntheticWorkspace } from './fixture.js';

/**
 * Ctrl-C / SIGTERM during `edgewise train --backend local` ends the process with exit code 130, whatever
 * it is doing: loading the runtimes, converting the feature model, starting the worker threads, embedding,
 * training the head. Each moment is reached by waiting for the event the CLI prints just before it.
 * (Before the fix, a signal while the worker threads started printed "Cancelled." and the threads kept
 * the process alive.)
 */
const CLI = resolve('dist/src/cli/main.js');
const tmp = makeTempDir('edgewise-train-cancel-');
/** Generous: the process ends within about a second when the machine is idle; a hang never ends. */
const EXIT_BOUND_MS = 25_000;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  await syntheticWorkspace(join(tmp.dir, 'template'), { perClass: 8, size: [64, 96] });
});
afterAll(() => tmp.cleanup());

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms from the signal to the exit; undefined when the process had to be killed. */
  exitedAfterMs: number | undefined;
  lines: Array<Record<string, unknown>>;
}

let run = 0;
/**
 * Runs train --json in a copy of the template workspace (sharing one cache folder, so only the first run
 * converts the feature model) and sends `sig` when `when` matches an event line.
 */
function trainAndSignal(sig: NodeJS.Signals, when: (e: Record<string, unknown>) => boolean, cache: string, env: Record<string, string> = {}): Promise<Outcome & { sent: boolean }> {
  const ws = join(tmp.dir, `run-${run++}`);
  cpSync(join(tmp.dir, 'template'), ws, { recursive: true });
  if (existsSync(cache)) cpSync(cache, join(ws, '.edgewise', 'cache'), { recursive: true });
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, '-w', ws, '--json', 'train', '--backend', 'local'], { env: { ...process.env, CI: 'true', FORCE_COLOR: '0', ...env } });
    const lines: Array<Record<string, unknown>> = [];
    let buf = '';
    let sentAt: number | undefined;
    let killer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        lines.push(e);
        if (sentAt === undefined && when(e)) {
          sentAt = performance.now();
          child.kill(sig);
          killer = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS);
        }
      }
    });
    child.stderr.resume();
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      const hung = signal === 'SIGKILL';
      for (const dir of ['feature-tflite', 'feature-onnx']) {
        if (!existsSync(join(cache, dir)) && existsSync(join(ws, '.edgewise', 'cache', dir))) {
          cpSync(join(ws, '.edgewise', 'cache', dir), join(cache, dir), { recursive: true });
        }
      }
      done({ code, signal, sent: sentAt !== undefined, exitedAfterMs: hung || sentAt === undefined ? undefined : performance.now() - sentAt, lines });
    });
  });
}

const isLog = (re: RegExp) => (e: Record<string, unknown>) => e.type === 'log' && re.test(String(e.message));

const here = await floatEngineHere();

describe('edgewise train --backend local: a signal at any moment exits 130', () => {
  const cache = join(tmp.dir, 'shared-cache');
  // The worker threads run LiteRT (onnxruntime, the default when it loads, embeds on the main thread).
  const litert = { EDGEWISE_EMBED_RUNTIME: 'litert' };
  const moments: Array<[string, NodeJS.Signals, (e: Record<string, unknown>) => boolean, Record<string, string>?]> = [
    // First run, cold cache: tfjs loads and the feature model is converted (seconds of start-up).
    ['at the step start (cold cache: tfjs loading, conversion)', 'SIGINT', (e) => e.type === 'step-start'],
    ['while the worker threads start (the reported hang)', 'SIGTERM', isLog(/^Embedding \d+ new image/), litert],
    ['while the worker threads start, Ctrl-C', 'SIGINT', isLog(/^Embedding \d+ new image/), litert],
    ['once the threads run LiteRT', 'SIGTERM', isLog(/^Embedding with/), litert],
    ['once onnxruntime runs', 'SIGTERM', isLog(/^Embedding with onnxruntime/)],
    ['while hashing the images', 'SIGINT', (e) => e.type === 'progress' && e.phase === 'hash'],
    ['while embedding', 'SIGINT', (e) => e.type === 'progress' && e.phase === 'embed'],
    ['while training the head', 'SIGTERM', (e) => e.type === 'metric'],
  ];
  for (const [name, sig, when, env] of moments) {
    // That moment exists only where onnxruntime loads (the CLI child inherits this environment).
    const ortOnly = name === 'once onnxruntime runs' && here.ortMissing !== undefined;
    it.skipIf(ortOnly)(`${sig} ${name}${ortOnly ? ortSkipReason(here) : ''}`, async () => {
      const r = await trainAndSignal(sig, when, cache, env);
      expect(r.sent, 'the moment was reached').toBe(true);
      console.log(`${sig} ${name}: exit ${r.code ?? r.signal} ${r.exitedAfterMs === undefined ? 'never (killed)' : `${Math.round(r.exitedAfterMs)} ms after the signal`}`);
      expect({ code: r.code, signal: r.signal, hung: r.exitedAfterMs === undefined }).toEqual({ code: 130, signal: null, hung: false });
      expect(r.lines.at(-1)).toMatchObject({ type: 'error', code: 'cancelled', exitCode: 130 });
    }, EXIT_BOUND_MS + 90_000);
  }
});
