import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, expect } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { CLI, TmuxSession, assertBuilt, sh } from '../helpers/tmux.js';

/**
 * A user's terminal for the journey tests: a shell in a tmux pane (80×24 by default) with `edgewise` on
 * PATH, so the test types what a person types over SSH (`edgewise`, keys in the wizard, `q`, a headless
 * command) and reads only what is on the screen.
 */
export class UserTerminal {
  readonly tmux: TmuxSession;
  private runs = 0;

  constructor(
    readonly root: string,
    opts: { columns?: number; rows?: number; env?: Record<string, string>; cli?: string } = {},
  ) {
    const bin = join(root, '.journey-bin');
    mkdirSync(bin, { recursive: true });
    const wrapper = join(bin, 'edgewise');
    if (!existsSync(wrapper)) {
      writeFileSync(wrapper, `#!/bin/sh\nexec node ${sh(opts.cli ?? CLI)} "$@"\n`);
      chmodSync(wrapper, 0o755);
    }
    const env: Record<string, string> = {
      EDGEWISE_NO_PREFS: '1',
      HOME: join(root, '.journey-home'),
      GOOGLE_CLOUD_PROJECT: '',
      PS1: '$ ',
      ...opts.env,
    };
    const assigns = Object.entries(env)
      .map(([k, v]) => `${k}=${sh(v)}`)
      .join(' ');
    // A user's terminal: no CI variable at all (CI=false still turns chalk's colours off) and none of the
    // test runner's FORCE_COLOR; tmux sets TERM in the pane.
    this.tmux = new TmuxSession(`cd ${sh(root)} && env -u CI -u FORCE_COLOR ${assigns} PATH=${sh(bin)}:"$PATH" bash --norc --noprofile`, {
      columns: opts.columns ?? 80,
      rows: opts.rows ?? 24,
    });
  }

  /** Clears the screen and runs a shell command; resolves with a marker to wait for its exit code. */
  type(command: string): { done: (timeoutMs?: number) => Promise<number> } {
    const n = ++this.runs;
    // The last program's final frame stays on screen; waiting for a line it also showed would match at
    // once and send keys before the new program listens (Enter landing in the shell). Clear it first.
    this.tmux.reset();
    this.tmux.send([`clear; ${command}; echo "rc${n}=$?"`], true);
    this.tmux.send(['Enter']);
    return {
      done: async (timeoutMs = 60_000) => {
        const screen = await this.tmux.waitFor(new RegExp(`rc${n}=\\d+`), timeoutMs);
        return Number(new RegExp(`rc${n}=(\\d+)`).exec(screen)![1]);
      },
    };
  }

  keys(...keys: string[]): void {
    this.tmux.send(keys);
  }

  text(s: string): void {
    this.tmux.send([s], true);
  }

  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string> {
    return this.tmux.waitFor(pattern, timeoutMs);
  }

  screen(): string {
    return this.tmux.screen();
  }

  kill(): void {
    this.tmux.kill();
  }
}

/**
 * A journey test's workspaces and terminals, all gone after each test (tmux sessions killed, folders
 * removed), with the compiled CLI checked before the first test.
 */
export function useJourney(): {
  workspace(prefix: string): string;
  terminal(root: string, opts?: ConstructorParameters<typeof UserTerminal>[1]): UserTerminal;
} {
  let terminals: UserTerminal[] = [];
  let folders: ReturnType<typeof makeTempDir>[] = [];
  beforeAll(() => assertBuilt());
  afterEach(() => {
    for (const t of terminals) t.kill();
    for (const f of folders) f.cleanup();
    terminals = [];
    folders = [];
  });
  return {
    workspace(prefix) {
      const f = makeTempDir(prefix);
      folders.push(f);
      return f.dir;
    },
    terminal(root, opts) {
      const t = new UserTerminal(root, opts);
      terminals.push(t);
      return t;
    },
  };
}

/** The screen fits the terminal: its title is still on the first line (nothing scrolled off the top). */
export function expectTitleOnTop(screen: string, title: string | RegExp): void {
  const first = screen.split('\n')[0] ?? '';
  if (typeof title === 'string') expect(first, `first line of:\n${screen}`).toContain(title);
  else expect(first, `first line of:\n${screen}`).toMatch(title);
}

/** The home screen's line for a step: its mark and state word. */
export function homeState(screen: string, title: string): string | undefined {
  const line = screen.split('\n').find((l) => new RegExp(`\\d\\. ${title}\\b`).test(l));
  return line ? /(done|out of date|to do)/.exec(line)?.[1] : undefined;
}

/** Runs the compiled CLI headless (what scripts do) and returns its parsed --json result object. */
export function cliJson(root: string, args: string[]): { ok: boolean; output: Record<string, unknown> } {
  let out = '';
  try {
    out = execFileSync('node', [CLI, ...args, '--json', '-w', root], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const last = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as { ok: boolean; output: Record<string, unknown> };
}

/** Every file under `dir` whose name matches. */
export function filesUnder(dir: string, match: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, match));
    else if (match.test(name)) out.push(p);
  }
  return out;
}

/** The run journal parses as JSON (atomic writes: never half a file) and holds these step records. */
export function readJournal(root: string): { steps: Record<string, unknown> } {
  const path = join(root, '.edgewise', 'journal.json');
  const text = readFileSync(path, 'utf8');
  return JSON.parse(text) as { steps: Record<string, unknown> };
}

/** Processes whose working folder is `dir` (the wizard and its workers): none may outlive a dropped session. */
export function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`) === dir) out.push(Number(name));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}
