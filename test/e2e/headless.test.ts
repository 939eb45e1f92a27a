import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { makeTempDir } from '../helpers/tmp.js';
import { CLI, assertBuilt } from '../helpers/tmux.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs the CLI with stdin and stdout as pipes (never a TTY), stdin closed at once: nothing may wait on it. */
function run(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, EDGEWISE_NO_PREFS: '1', METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The subcommands `edgewise --help` lists: every command registered is covered without editing this test. */
function listCommands(): string[] {
  const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help' && c !== 'demo');
}

const MODES: Array<{ name: string; env: Record<string, string>; args: string[] }> = [
  { name: 'NO_COLOR=1', env: { NO_COLOR: '1' }, args: [] },
  { name: 'TERM=dumb', env: { TERM: 'dumb' }, args: [] },
  { name: 'piped', env: { TERM: 'xterm-256color', FORCE_COLOR: '' }, args: [] },
  { name: '--json', env: { TERM: 'xterm-256color' }, args: ['--json'] },
];

describe('headless: every command, piped, NO_COLOR, TERM=dumb and --json', () => {
  beforeAll(() => assertBuilt());
  const commands = listCommands();

  it('lists the commands of the job', () => {
    expect(commands).toEqual(expect.arrayContaining(['init']));
  });

  for (const mode of MODES) {
    it(`${mode.name}: no escape codes, no prompt waiting on a pipe, a clear exit code`, async () => {
      const tmp = makeTempDir();
      try {
        for (const cmd of commands) {
          // In an empty workspace most steps have nothing to work on: they must say so and exit, not hang.
          const r = await run([cmd, ...mode.args], mode.env, tmp.dir);
          const label = `${mode.name} edgewise ${cmd}`;
          expect(r.timedOut, `${label} waited for input`).toBe(false);
          expect(r.code, `${label} exit code`).not.toBeNull();
          expect([0, 1, 2]).toContain(r.code);
          expect(r.stdout + r.stderr, `${label} printed escape codes`).not.toMatch(/\u001b/);
          if (mode.args.includes('--json')) {
            const lines = r.stdout.trim().split('\n').filter(Boolean);
            expect(lines.length, `${label} printed nothing`).toBeGreaterThan(0);
            const parsed = lines.map((l) => JSON.parse(l) as { type: string });
            expect(['result', 'error']).toContain(parsed.at(-1)!.type);
            if (r.code !== 0) expect(parsed.at(-1)!.type).toBe('error');
          }
        }
      } finally {
        tmp.cleanup();
      }
    });
  }
});

describe('headless: a reader that goes away', () => {
  beforeAll(() => assertBuilt());
  it('stops quietly when stdout closes early (edgewise --json validate | head -1)', async () => {
    const tmp = makeTempDir();
    try {
      const { generateSyntheticDataset } = await import('../../src/synthetic/synthetic.js');
      await generateSyntheticDataset({ root: tmp.dir, classes: 2, perClass: 12 });
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--json', 'validate'], {
          cwd: tmp.dir,
          env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, EDGEWISE_NO_PREFS: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // Like `head -1`: read the first line, then close the pipe.
        child.stdout.once('data', () => child.stdout.destroy());
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
      expect([0, 2]).toContain(result.code);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('headless: Ctrl-C', () => {
  beforeAll(() => assertBuilt());
  it('SIGINT during a local step cancels it cleanly: exit 130, an error event, no half-written model', async () => {
    const tmp = makeTempDir();
    try {
      const result = await new Promise<{ code: number | null; lines: Array<{ type: string; step?: string; exitCode?: number }> }>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--json', 'demo', tmp.dir, '--classes', '2', '--per-class', '16'], {
          env: { PATH: process.env.PATH ?? '', HOME: tmp.dir, EDGEWISE_NO_PREFS: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let buf = '';
        const lines: Array<{ type: string; step?: string; exitCode?: number }> = [];
        let sent = false;
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, i)) as { type: string; step?: string };
            buf = buf.slice(i + 1);
            lines.push(ev);
            // Interrupt once training has started embedding images.
            if (!sent && ev.step === 'train' && ev.type === 'progress') {
              sent = true;
              child.kill('SIGINT');
            }
          }
        });
        child.on('close', (code) => resolve({ code, lines }));
      });
      expect(result.lines.some((l) => l.step === 'train' && l.type === 'progress')).toBe(true);
      expect(result.code).toBe(130);
      expect(result.lines.at(-1)).toMatchObject({ type: 'error', exitCode: 130 });
      const { existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      expect(existsSync(join(tmp.dir, 'ml', 'models', 'v001', 'model.tflite'))).toBe(false);
      const journal = JSON.parse((await import('node:fs')).readFileSync(join(tmp.dir, '.edgewise', 'journal.json'), 'utf8')) as { steps: Record<string, unknown> };
      expect(Object.keys(journal.steps)).toContain('split');
      expect(Object.keys(journal.steps)).not.toContain('train');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('headless: usage errors with --json', () => {
  beforeAll(() => assertBuilt());
  it.each([
    [['train', '--json', '--epochs', '5'], "unknown option '--epochs'"],
    [['tarin', '--json'], 'unknown command "tarin"'],
  ])('%j ends in an NDJSON error object and exit 2', async (args, message) => {
    const tmp = makeTempDir();
    try {
      const r = await run(args, {}, tmp.dir);
      expect(r.code).toBe(2);
      const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; code: string; message: string };
      expect(last).toMatchObject({ type: 'error', code: 'usage', message });
    } finally {
      tmp.cleanup();
    }
  });
});

describe('headless: a workspace that does not exist', () => {
  beforeAll(() => assertBuilt());
  it('is named in the error (exit 2), not mistaken for a missing manifest', async () => {
    const tmp = makeTempDir();
    try {
      const r = await run(['-w', 'nowhere/at/all', 'validate'], {}, tmp.dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('nowhere/at/all does not exist');
    } finally {
      tmp.cleanup();
    }
  });
});
