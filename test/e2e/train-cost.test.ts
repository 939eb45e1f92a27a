import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGcs, type FakeGcs } from '../integration/fakes/gcs.js';
import { startFakeVertex, type FakeVertex } from '../integration/fakes/vertex.js';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { useJourney } from './journey-shell.js';

/**
 * `edgewise train --backend vertex` on a terminal asks before starting a billed training, saying the model
 * type, the budget and the price per node hour; n starts nothing (no request reaches the fakes); --yes and
 * --no-input skip the question. And `split` on this backend says to upload next.
 */
describe('train --backend vertex asks about the cost on a terminal (tmux)', () => {
  const j = useJourney();
  let gcs: FakeGcs | undefined;
  let vertex: FakeVertex | undefined;
  afterEach(async () => {
    await Promise.all([gcs?.close(), vertex?.close()]);
  });

  it('shows model type, budget and price; n starts nothing; --yes / --no-input do not ask', { timeout: 120_000 }, async () => {
    const root = j.workspace('edgewise-cost-');
    gcs = await startFakeGcs({ token: 'tok' });
    gcs.addBucket('cost-bucket', 'US-CENTRAL1');
    vertex = await startFakeVertex({ project: 'cost-project', token: 'tok', gcs });
    writeFileSync(
      join(root, 'edgewise.json'),
      JSON.stringify({ backend: 'vertex', project: 'cost-project', bucket: 'cost-bucket', budgetMilliNodeHours: 8000, modelType: 'MOBILE_TF_HIGH_ACCURACY_1', vertex: { apiEndpoint: vertex.url }, storage: { apiEndpoint: gcs.url } }),
    );
    const t = j.terminal(root, { env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'tok', METADATA_SERVER_DETECTION: 'none' } });

    const asked = t.type('edgewise train --backend vertex');
    const q = (await t.tmux.waitFor('Start it?')).replace(/\s+/g, ' ');
    expect(q).toContain('Start Vertex AI training? It is billed per node hour.');
    expect(q).toContain('Model type MOBILE_TF_HIGH_ACCURACY_1');
    expect(q).toContain('Budget 8 node hours');
    expect(q).toMatch(/Price US\$18\.00 per node hour \(Vertex AI pricing page, AutoML image classification, Training \(Edge on-device model\), as of 2026-12-06/);
    expect(q).toContain('At most US$144.00');
    t.tmux.send(['n'], true);
    t.tmux.send(['Enter']);
    expect(await asked.done()).toBe(130);
    expect(t.tmux.screen()).toContain('Not started: nothing was created in Vertex AI');
    expect(vertex.requests.length + gcs.requests.length).toBe(0);

    // --yes and --no-input go straight on (here to the upload, which stops: the workspace has no split yet).
    for (const flag of ['--yes', '--no-input']) {
      const run = t.type(`edgewise train --backend vertex ${flag}`);
      const code = await run.done();
      const screen = t.tmux.screen();
      expect(screen, flag).not.toContain('Start Vertex AI training?');
      expect(code, screen).not.toBe(130);
    }

    // On the vertex backend, split points at the upload, not at a local training.
    await generateSyntheticDataset({ root, classes: 2, perClass: 12, seed: 'cost', faults: false, size: [64, 64] });
    expect(await t.type('edgewise validate').done(120_000)).toBe(0);
    const split = t.type('edgewise split');
    expect(await split.done(120_000)).toBe(0);
    expect(t.tmux.screen()).toContain('Next: edgewise upload (then edgewise train --backend vertex)');
  });
});
