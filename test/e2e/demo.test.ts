import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { assertBuilt, CLI } from '../helpers/tmux.js';

/** `edgewise demo` as a newcomer runs it: the log it prints, and the command it ends with. */
describe('edgewise demo (compiled CLI)', () => {
  it('labels the second publish as a publish, and ends with a command that opens the workspace from any folder', { timeout: 300_000 }, () => {
    assertBuilt();
    const tmp = makeTempDir();
    const ws = `${tmp.dir}/my demo`;
    try {
      const env = { PATH: process.env.PATH ?? '', HOME: tmp.dir, EDGEWISE_NO_PREFS: '1' };
      const out = execFileSync(process.execPath, [CLI, 'demo', ws, '--classes', '2', '--per-class', '16'], { cwd: tmp.dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // Two publishes, each its own "▸ Publish" step; saving the stricter thresholds ("▸ Tune thresholds") ships nothing.
      const steps = [...out.matchAll(/^▸ (.+)$/gm)].map((m) => m[1]);
      expect(steps.filter((s) => s === 'Publish')).toHaveLength(2);
      const blocks = out.split(/^▸ /m);
      const tunes = blocks.filter((b) => b.startsWith('Tune thresholds'));
      expect(tunes).toHaveLength(2);
      for (const b of tunes) {
        expect(b).not.toContain('Publishing run');
        expect(b).not.toContain('public/models');
      }
      expect(out).toMatch(/publish-2 +same model, stricter thresholds saved \(ml\/metrics\/thresholds_v001\.json\), then published as v002/);
      // The local backend hears nothing about Vertex's label rules or buckets.
      expect(out).not.toMatch(/label\.vertex_rule|split\.no_bucket|split\.vertex_min_images/);
      // The last line: a command that works outside the project (no `npx edgewise`, which would ask the registry).
      const last = out.trim().split('\n').at(-1)!;
      expect(last).not.toContain('npx');
      const cmd = /^Open it in the wizard: (.+)$/.exec(last)![1]!;
      expect(cmd).toContain(`-w '${ws}'`);
      // Run it from another folder (headless here: `versions --json` after the same words).
      const listed = execFileSync('sh', ['-c', `${cmd} --json versions`], { cwd: '/', env, encoding: 'utf8' });
      const result = JSON.parse(listed.trim().split('\n').at(-1)!) as { ok: boolean; output: { active: string; versions: unknown[] } };
      expect(result.ok).toBe(true);
      expect(result.output.active).toBe('v001');
      expect(result.output.versions).toHaveLength(2);
    } finally {
      tmp.cleanup();
    }
  });
});
