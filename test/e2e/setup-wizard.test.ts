import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { CLI, TmuxSession, assertBuilt, sh } from '../helpers/tmux.js';

describe('e2e (tmux, 80×24): first-time setup in the wizard', () => {
  let session: TmuxSession | undefined;
  let tmp: ReturnType<typeof makeTempDir> | undefined;
  beforeAll(() => assertBuilt());
  afterEach(() => {
    session?.kill();
    tmp?.cleanup();
  });

  it('completes setup with keys, survives a resize, writes edgewise.json and exits 0', async () => {
    tmp = makeTempDir();
    const env = `CI=false EDGEWISE_NO_PREFS=1 GOOGLE_CLOUD_PROJECT= HOME=${sh(tmp.dir)}`;
    session = new TmuxSession(`cd ${sh(tmp.dir)} && ${env} node ${sh(CLI)}; echo EXIT=$?; sleep 30`, { columns: 80, rows: 24 });
    await session.waitFor('Where should models train?');
    session.send(['Down', 'Enter']);
    await session.waitFor('Images folder');
    session.send(['Enter']);
    await session.waitFor('Google Cloud project id');
    session.send(['my-project-1'], true);
    session.send(['Enter']);
    await session.waitFor('Vertex AI region');
    session.resize(60, 20);
    const narrow = await session.waitFor('Vertex AI region');
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    session.resize(80, 24);
    session.send(['Enter']);
    await session.waitFor('Cloud Storage bucket');
    session.send(['my-bucket'], true);
    // The rest arrives as one burst, as typed-ahead keys do over SSH.
    session.send(['Enter', 'Enter', 'Enter']);
    const home = await session.waitFor(/✔ 1\. Configure/);
    expect(home).toContain('backend vertex');
    session.send(['q']);
    await session.waitFor('EXIT=0');
    const cfg = JSON.parse(readFileSync(join(tmp.dir, 'edgewise.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ backend: 'vertex', project: 'my-project-1', region: 'us-central1', bucket: 'my-bucket', modelType: 'MOBILE_TF_VERSATILE_1', budgetMilliNodeHours: 24000 });
  });

  it('Ctrl-C quits the wizard with exit code 130 and writes nothing', async () => {
    tmp = makeTempDir();
    session = new TmuxSession(`cd ${sh(tmp.dir)} && CI=false EDGEWISE_NO_PREFS=1 node ${sh(CLI)}; echo EXIT=$?; sleep 30`);
    await session.waitFor('Where should models train?');
    session.send(['C-c']);
    await session.waitFor('EXIT=130');
    expect(existsSync(join(tmp.dir, 'edgewise.json'))).toBe(false);
  });
});
