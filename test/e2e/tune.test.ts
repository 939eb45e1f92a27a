import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bruteForceMetrics } from '../../src/tune/brute-force.js';
import { loadPredictions } from '../../src/tune/predictions.js';
import { CLI, TmuxSession, sh } from '../helpers/tmux.js';
import { predictionsWorkspace } from '../tune/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The numbers line for the validation split as the screen prints it. */
function shown(screen: string): { tau: number; margin: number; coverage: string; accuracy: string } {
  const t = /tau\s+(\d\.\d\d)/.exec(screen);
  const m = /margin\s+(\d\.\d\d)/.exec(screen);
  const c = /validation\s+n=\d+\s+coverage ([\d.]+%)\s+sel(?:ective |\.)acc ([\d.]+%|–)/.exec(screen);
  if (!t || !m || !c) throw new Error(`numbers not on screen:\n${screen}`);
  return { tau: Number(t[1]), margin: Number(m[1]), coverage: c[1]!, accuracy: c[2]! };
}

describe('e2e (tmux, 80×24): the tune screen', () => {
  let session: TmuxSession | undefined;
  let root: string | undefined;
  beforeAll(() => {
    // npm test builds first; a bare `vitest run` of this file builds here so it never runs stale code.
    if (!existsSync(CLI) || !existsSync(join(ROOT, 'dist/screens/tune/standalone.js'))) {
      execFileSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'ignore' });
    }
  }, 180_000);
  afterEach(() => {
    session?.kill();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('moves the sliders with keys, the numbers change, survives a resize, saves, Ctrl-C exits 130', async () => {
    const fx = predictionsWorkspace({ seed: 31, test: 300, validation: 200 });
    root = fx.root;
    writeFileSync(join(root, 'ml/metrics/thresholds_v001.json'), JSON.stringify({ version: 'v001', tau: 0.3, margin: 0 }));
    const loaded = loadPredictions(fx.path);
    const expected = (tau: number, margin: number) => `${(bruteForceMetrics(loaded.labels, loaded.splits.validation, tau, margin).coverage * 100).toFixed(1)}%`;

    session = new TmuxSession(`cd ${sh(root)} && CI=false FORCE_COLOR=0 EDGEWISE_NO_PREFS=1 node ${sh(CLI)} tune --interactive --target-accuracy 0.9; echo EXIT=$?; sleep 30`, { columns: 80, rows: 24 });
    const first = shown(await session.waitFor(/validation\s+n=\d+\s+coverage/));
    expect(first).toMatchObject({ tau: 0.3, margin: 0, coverage: expected(0.3, 0) });

    session.send(['Right', 'Right']);
    const a = shown(await session.waitFor(/tau\s+0\.32/));
    expect(a.coverage).toBe(expected(0.32, 0));

    // ] is the ±0.05 key that survives any terminal; sent as one burst with a Tab and a Right.
    session.send([']', ']', ']', ']', 'Tab', 'Right']);
    const b = shown(await session.waitFor(/margin\s+0\.01/));
    expect(b.tau).toBe(0.52);
    expect(b.coverage).toBe(expected(0.52, 0.01));
    expect(b.coverage).not.toBe(first.coverage);

    session.resize(60, 20);
    const narrow = await session.waitFor(/sel\.acc/);
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    session.send(['Left']);
    expect(shown(await session.waitFor(/margin\s+0\.00/)).coverage).toBe(expected(0.52, 0));
    session.resize(80, 24);
    await session.waitFor('Selective accuracy (m)');

    session.send(['s']);
    await session.waitFor('Saved ml/metrics/thresholds_v001.json');
    const saved = JSON.parse(readFileSync(join(root, 'ml/metrics/thresholds_v001.json'), 'utf8')) as { tau: number; margin: number };
    expect(saved).toMatchObject({ tau: 0.52, margin: 0 });

    session.send(['C-c']);
    await session.waitFor('EXIT=130');
  });
});
