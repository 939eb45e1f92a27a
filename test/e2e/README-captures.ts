/**
 * Captures every screen of the journey from the real app, in tmux at 80×24, into docs/screens/*.txt (the
 * README pastes them as text). Plays the same keys as test/e2e/journey-local.test.ts on a synthetic
 * workspace, then the Vertex screens against the fake Cloud Storage and Vertex AI servers.
 *
 *   npm run build && node dist/test/e2e/README-captures.js [--out docs/screens] [--readme README.md] [--fill-only]
 *
 * --readme fills every `<!-- screen:NAME -->…<!-- /screen -->` block of that file with docs/screens/NAME.txt;
 * --fill-only does only that, from the captures already there.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mergeConfig, saveConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { startFakeGcs } from '../integration/fakes/gcs.js';
import { startFakeVertex } from '../integration/fakes/vertex.js';
import { UserTerminal } from './journey-shell.js';

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/screens' }, readme: { type: 'string' }, 'fill-only': { type: 'boolean', default: false } },
});
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
// Compiled, this file sits in dist/test/e2e/: the CLI is dist/src/cli/main.js.
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The screen as text: trailing blanks and the temp path replaced, so captures are stable across runs. */
function save(term: UserTerminal, root: string, name: string): void {
  const text = term
    .screen()
    .split(root)
    .join('~/shop-photos')
    .replace(/\s+$/s, '')
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
  writeFileSync(join(out, `${name}.txt`), text + '\n');
  console.log(`wrote ${join(values.out!, `${name}.txt`)}`);
}

async function local(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ew-cap-'));
  const t = new UserTerminal(root, { cli });
  try {
    await generateSyntheticDataset({ root, classes: 3, perClass: 16, seed: 'journey', size: [96, 128] });
    t.type('edgewise');
    await t.waitFor('Where should models train?');
    save(t, root, '01-configure');
    t.keys('Enter');
    await t.waitFor('Images folder');
    t.keys('Enter');
    await t.waitFor('Which network should local training start from?');
    t.keys('Enter');
    await t.waitFor('Next: Validate — press');
    save(t, root, '02-home');
    t.keys('Enter');
    await t.waitFor(/❯ conflict/, 90_000);
    await sleep(800); // the previews
    save(t, root, '03-validate-review');
    t.keys('Enter');
    await t.waitFor(/✔ Wrote ml\/dataset\/manifest\.clean\.csv/, 60_000);
    t.keys('Enter');
    await t.waitFor('Next: Split — press');
    t.keys('Enter');
    await t.waitFor('✔ Leakage check', 60_000);
    save(t, root, '04-split');
    t.keys('Enter');
    await t.waitFor('✔ Wrote ml/dataset/splits.csv', 60_000);
    t.keys('Enter');
    await t.waitFor('Next: Train — press');
    t.keys('Enter');
    await t.waitFor('⏎ trains on the train split');
    t.keys('Enter');
    await t.waitFor(/⏎ continue|✖/, 300_000);
    save(t, root, '05-train');
    t.keys('Escape');
    await t.waitFor('Next: Evaluate — press');
    t.keys('Enter');
    await t.waitFor(/Evaluate v001 +top-1/, 180_000);
    save(t, root, '06-evaluate');
    t.keys('Escape');
    await t.waitFor('Next: Tune — press');
    t.keys('Enter');
    await t.waitFor(/Tune thresholds · v001/, 60_000);
    t.text('0.5');
    t.keys('Enter');
    await t.waitFor(/▸ tau +0\.50/);
    t.text('s');
    await t.waitFor('Saved ml/metrics/thresholds_v001.json', 30_000);
    save(t, root, '07-tune');
    t.keys('Escape');
    await t.waitFor('Next: Publish — press');
    t.keys('Enter');
    await t.waitFor('make it active?', 60_000);
    save(t, root, '08-publish-review');
    t.text('y');
    await t.waitFor('is published and active', 60_000);
    save(t, root, '09-publish-done');
    t.keys('Enter');
    await t.waitFor(/✔ \d\. Publish/, 30_000);
    t.text('q');
    await sleep(1000);
    t.type('edgewise');
    await t.waitFor('Every step is done', 30_000);
    save(t, root, '10-home-done');
    t.text('?');
    await t.waitFor('show or hide this help');
    save(t, root, '11-keys');
    t.keys('Escape');
    const home = await t.waitFor('Every step is done');
    const rows = home.split('\n');
    const down = rows.findIndex((l) => l.includes('Versions')) - rows.findIndex((l) => l.startsWith('❯'));
    t.keys(...Array<string>(Math.max(0, down)).fill('Down'), 'Enter');
    await t.waitFor(/\* v001/, 30_000);
    save(t, root, '12-versions');
  } finally {
    t.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

async function vertex(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ew-cap-'));
  const gcs = await startFakeGcs({ token: 'fake-access-token' });
  gcs.addBucket('my-photos-bucket', 'US-CENTRAL1');
  const data = await generateSyntheticDataset({ root, classes: 3, perClass: 12, seed: 'capture', faults: false, size: [96, 128] });
  const fake = await startFakeVertex({
    project: 'my-project-1',
    location: 'us-central1',
    token: 'fake-access-token',
    gcs,
    lroPolls: 2,
    labels: [...data.labels].sort(),
    pipelineStates: ['QUEUED', 'PENDING', ...Array<'RUNNING'>(12).fill('RUNNING'), 'SUCCEEDED'],
  });
  const env = { GOOGLE_OAUTH_ACCESS_TOKEN: 'fake-access-token', METADATA_SERVER_DETECTION: 'none' };
  let t = new UserTerminal(root, { env, cli });
  try {
    const cfg: ConfigInput = { backend: 'vertex', project: 'my-project-1', region: 'us-central1', bucket: 'my-photos-bucket' };
    await saveConfig(
      root,
      mergeConfig(cfg as Record<string, unknown>, {
        vertex: { apiEndpoint: fake.url },
        storage: { apiEndpoint: gcs.url },
        train: { vertex: { pollMs: 400, operationPollMs: 100 } },
      }) as ConfigInput,
    );
    t.type('edgewise validate >/dev/null; edgewise split >/dev/null; edgewise');
    await t.waitFor('Next: Upload — press', 60_000);
    t.keys('Enter');
    await t.waitFor('Upload to gs://');
    t.keys('Enter');
    await t.waitFor(/✔ \d+ object\(s\) uploaded/, 120_000);
    save(t, root, '13-upload');
    t.keys('Escape');
    await t.waitFor('Next: Vertex training — press');
    t.keys('Enter');
    await t.waitFor('⏎ upload check');
    t.keys('Enter');
    // The cost question comes before anything is created in the project.
    await t.waitFor('y = start it');
    t.text('y');
    await t.waitFor(/\bRUNNING\b.*node hours/, 120_000);
    await sleep(1200);
    save(t, root, '14-vertex-running');
    t.kill();
    // The SSH session dropped; a new one.
    t = new UserTerminal(root, { env, cli });
    t.type('edgewise');
    await t.waitFor('Next: Vertex training — press', 30_000);
    save(t, root, '15-home-pipeline-running');
    t.keys('Enter');
    await t.waitFor('✔ Training finished', 120_000);
    save(t, root, '16-vertex-reattached');
  } finally {
    t.kill();
    await Promise.all([gcs.close(), fake.close()]);
    rmSync(root, { recursive: true, force: true });
  }
}

/** Replaces each marked block of the README with the capture it names, as a text block. */
function fillReadme(path: string): void {
  const text = readFileSync(path, 'utf8').replace(/<!-- screen:([\w-]+) -->[\s\S]*?<!-- \/screen -->/g, (_m, name: string) => {
    const capture = readFileSync(join(out, `${name}.txt`), 'utf8').replace(/\n+$/, '');
    return `<!-- screen:${name} -->\n\`\`\`text\n${capture}\n\`\`\`\n<!-- /screen -->`;
  });
  writeFileSync(path, text);
  console.log(`filled the screen blocks of ${path}`);
}

if (!values['fill-only']) {
  await local();
  await vertex();
}
if (values.readme) fillReadme(resolve(values.readme));
