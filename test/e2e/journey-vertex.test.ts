import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeConfig, saveConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { startFakeGcs, type FakeGcs } from '../integration/fakes/gcs.js';
import { startFakeVertex, type FakeVertex } from '../integration/fakes/vertex.js';
import { cliJson, homeState, processesIn, readJournal, useJourney } from './journey-shell.js';

const TOKEN = 'fake-access-token';
const PROJECT = 'edgewise-journey';
const BUCKET = 'edgewise-journey-bucket';

/**
 * The journey on the Vertex backend against the fake Cloud Storage and Vertex AI servers (127.0.0.1), at
 * 80×24 with keys: configure (vertex) → validate → split → upload → Vertex training. The terminal is killed
 * while the pipeline RUNS; a new session's home screen shows the pipeline still running and reattaches to
 * the same one (no second pipeline is created). Then export (a command, as the status pane says), evaluate,
 * tune and publish in the wizard.
 */
describe('e2e journey (tmux, 80×24, vertex backend on fakes): a dropped session reattaches', () => {
  const j = useJourney();
  let gcs: FakeGcs | undefined;
  let vertex: FakeVertex | undefined;
  afterEach(async () => {
    await Promise.all([gcs?.close(), vertex?.close()]);
  });

  it('trains on Vertex, survives the terminal being killed mid-pipeline, and publishes', { timeout: 420_000 }, async () => {
    const root = j.workspace('edgewise-vjourney-');
    const data = await generateSyntheticDataset({ root, classes: 3, perClass: 12, seed: 'vertex-journey', faults: false, size: [96, 128] });
    gcs = await startFakeGcs({ token: TOKEN });
    gcs.addBucket(BUCKET, 'US-CENTRAL1');
    vertex = await startFakeVertex({
      project: PROJECT,
      location: 'us-central1',
      token: TOKEN,
      gcs,
      lroPolls: 2,
      // One state per poll: long enough RUNNING to drop the session in the middle of it.
      pipelineStates: ['QUEUED', 'PENDING', ...Array<'RUNNING'>(30).fill('RUNNING'), 'SUCCEEDED'],
    });
    const env = { GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN, METADATA_SERVER_DETECTION: 'none' };
    let t = j.terminal(root, { env });

    // Configure in the wizard: vertex, images, project, region, bucket, model type, budget.
    const first = t.type('edgewise');
    await t.waitFor('Where should models train?');
    t.keys('Down', 'Enter');
    await t.waitFor('Images folder');
    t.keys('Enter');
    await t.waitFor('Google Cloud project id');
    t.text(PROJECT);
    t.keys('Enter');
    await t.waitFor('Vertex AI region');
    t.keys('Enter');
    await t.waitFor('Cloud Storage bucket');
    t.text(BUCKET);
    t.keys('Enter', 'Enter', 'Enter');
    let home = await t.waitFor(/✔ 1\. Configure/);
    expect(home).toContain('backend vertex');
    expect(home).toMatch(/Train +local only/);
    t.text('q');
    expect(await first.done()).toBe(0);
    // Point the workspace at the fakes (what `npm run fake-cloud -- --workspace .` writes), polling fast.
    const cfg = JSON.parse(readFileSync(join(root, 'edgewise.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toMatchObject({ backend: 'vertex', project: PROJECT, bucket: BUCKET });
    await saveConfig(
      root,
      mergeConfig(cfg, {
        vertex: { apiEndpoint: vertex.url },
        storage: { apiEndpoint: gcs.url },
        train: { vertex: { pollMs: 250, operationPollMs: 100, retryBaseMs: 20, retryMaxMs: 200 } },
      }) as ConfigInput,
    );

    // Validate and split.
    t.type('edgewise'); // this session is dropped below
    await t.waitFor('Next: Validate — press');
    t.keys('Enter');
    await t.waitFor(/✔ No duplicates|❯ (exact|near|conflict)/, 90_000);
    t.keys('Enter');
    await t.waitFor(/✔ Wrote ml\/dataset\/manifest\.clean\.csv/, 60_000);
    t.keys('Enter');
    await t.waitFor('Next: Split — press');
    t.keys('Enter');
    await t.waitFor('✔ Leakage check', 60_000);
    t.keys('Enter');
    const split = await t.waitFor(/✔ Wrote ml\/dataset\/splits\.csv/, 60_000);
    expect(split).toContain('vertex_dataset.csv');
    t.keys('Enter');

    // Upload to the (fake) bucket.
    await t.waitFor('Next: Upload — press');
    t.keys('Enter');
    await t.waitFor(`Upload to gs://${BUCKET}/`);
    t.keys('Enter');
    const up = await t.waitFor(/✔ \d+ object\(s\) uploaded/, 120_000);
    expect(up).toContain('vertex_dataset.csv');
    t.keys('Enter');

    // Vertex training: start, then drop the terminal while the pipeline runs.
    await t.waitFor('Next: Vertex training — press');
    t.keys('Enter');
    await t.waitFor('⏎ upload check, dataset, import and AutoML training');
    t.keys('Enter');
    // Training is billed: asked first, with the model type, budget and price per node hour.
    const ask = await t.waitFor('y = start it');
    expect(ask.replace(/\s+/g, ' ')).toMatch(/Model type MOBILE_TF_VERSATILE_1 .* Budget 24 node hours .* Price US\$18\.00 per node hour/);
    t.text('y');
    const running = await t.waitFor(/\bRUNNING\b.*node hours/, 120_000);
    const pipelineId = /node hours +(\d+)/.exec(running)?.[1];
    expect(pipelineId, running).toBeDefined();
    t.kill();
    for (let i = 0; i < 100 && processesIn(root).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesIn(root)).toEqual([]);
    const rec = readJournal(root) as unknown as { resources: Record<string, { name: string; state: string }> };
    expect(rec.resources['vertex.pipeline']?.name).toMatch(new RegExp(`trainingPipelines/${pipelineId}$`));
    expect(vertex.pipelines.size).toBe(1);

    // A new terminal: home shows the pipeline still running; opening it reattaches to the same one.
    t = j.terminal(root, { env });
    const third = t.type('edgewise');
    home = await t.waitFor('Next: Vertex training — press', 30_000);
    expect(home).toMatch(new RegExp(`RUNNING in Vertex AI: ${pipelineId}`));
    t.keys('Enter');
    const done = await t.waitFor('✔ Training finished', 120_000);
    expect(done).toContain(pipelineId!);
    expect(vertex.pipelines.size).toBe(1);
    t.keys('Escape');
    home = await t.waitFor(/✔ \d\. Vertex training/, 30_000);
    expect(homeState(home, 'Upload')).toBe('done');
    t.text('q');
    expect(await third.done()).toBe(0);

    // Export, evaluate, tune and publish in the wizard.
    const fourth = t.type('edgewise');
    await t.waitFor('Next: Export — press', 30_000);
    t.keys('Enter');
    await t.waitFor('⏎ export and download');
    t.keys('Enter');
    await t.waitFor(/✔ v001: ml\/models\/v001\/model\.tflite/, 120_000);
    expect(existsSync(join(root, 'ml', 'models', 'v001', 'model.tflite'))).toBe(true);
    t.keys('Enter');
    await t.waitFor(/✔ \d\. Export/, 30_000);
    await t.waitFor('Next: Evaluate — press', 30_000);
    t.keys('Enter');
    await t.waitFor(/Evaluate v001 +top-1 \d\.\d{3}/, 180_000);
    t.keys('Escape');
    await t.waitFor('Next: Tune — press');
    t.keys('Enter');
    await t.waitFor(/Tune thresholds · v001/, 60_000);
    t.text('0.3');
    t.keys('Enter');
    await t.waitFor(/▸ tau +0\.30/);
    t.text('s');
    await t.waitFor('Saved ml/metrics/thresholds_v001.json', 30_000);
    t.keys('Escape');
    await t.waitFor('Next: Publish — press');
    t.keys('Enter');
    await t.waitFor('make it active?', 60_000);
    t.text('y');
    await t.waitFor('v001 is published and active', 60_000);
    t.keys('Enter');
    await t.waitFor(/✔ \d+\. Publish/);
    t.text('q');
    expect(await fourth.done()).toBe(0);

    const model = JSON.parse(readFileSync(join(root, 'public', 'models', 'model.json'), 'utf8')) as { version: string; backend?: string; thresholds: { tau: number } };
    expect(model.version).toBe('v001');
    expect(model.thresholds.tau).toBe(0.3);
    const labelMap = JSON.parse(readFileSync(join(root, 'public', 'models', 'label_map.json'), 'utf8')) as string[];
    expect([...labelMap].sort()).toEqual([...data.labels].sort());
    const versions = cliJson(root, ['versions']);
    expect((versions.output as { active: string }).active).toBe('v001');
    expect(Object.keys(readJournal(root).steps)).toEqual(expect.arrayContaining(['validate', 'split', 'eval', 'tune', 'publish']));
  });
});
