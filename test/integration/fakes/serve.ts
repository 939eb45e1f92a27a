import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { saveConfig, mergeConfig } from '../../../src/config/load.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { startFakeGcs } from './gcs.js';
import { startFakeVertex } from './vertex.js';

/**
 * `npm run fake-cloud`: the fake Cloud Storage and Vertex AI servers outside the test runner, so a person
 * can walk the whole cloud flow (upload, train with the status pane, watch, cancel, export) without a
 * Google account. Prints the endpoints and the environment/config to use; --workspace DIR writes them
 * into DIR/edgewise.json. Stops on Ctrl-C.
 */
const HELP = `usage: npm run fake-cloud -- [--workspace DIR] [--bucket NAME] [--project ID] [--region R]
                             [--labels a,b,c] [--running-polls N] [--fail-pipeline MSG] [--fail-import MSG] [--latency MS] [--json]`;

const { values } = parseArgs({
  options: {
    workspace: { type: 'string' },
    bucket: { type: 'string', default: 'edgewise-fake-bucket' },
    project: { type: 'string', default: 'edgewise-fake-project' },
    region: { type: 'string', default: 'us-central1' },
    labels: { type: 'string' },
    'running-polls': { type: 'string', default: '8' },
    'fail-pipeline': { type: 'string' },
    'fail-import': { type: 'string' },
    token: { type: 'string', default: 'fake-access-token' },
    latency: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

// Default: the model's labels are those of the dataset it trains on (what was imported), as on Vertex.
const labels = values.labels?.split(',').map((l) => l.trim()).filter(Boolean) ?? labelsFromWorkspace(values.workspace);
const running = Math.max(1, Number(values['running-polls']) || 8);
const gcs = await startFakeGcs({ token: values.token });
gcs.addBucket(values.bucket, values.region.toUpperCase());
gcs.latencyMs = Math.max(0, Number(values.latency) || 0);
const vertex = await startFakeVertex({
  project: values.project,
  location: values.region,
  token: values.token,
  gcs,
  lroPolls: 2,
  labels,
  pipelineStates: ['QUEUED', 'QUEUED', 'PENDING', ...Array<'RUNNING'>(running).fill('RUNNING'), 'SUCCEEDED'],
});
if (values['fail-pipeline']) vertex.failNextPipeline = { code: 3, message: values['fail-pipeline'] };
if (values['fail-import']) vertex.failNextImport = { code: 3, message: values['fail-import'] };

const config: ConfigInput = {
  project: values.project,
  region: values.region,
  bucket: values.bucket,
  backend: 'vertex',
  vertex: { apiEndpoint: vertex.url },
  storage: { apiEndpoint: gcs.url },
  train: { vertex: { pollMs: 1500, operationPollMs: 300 } },
};
let written: string | undefined;
if (values.workspace) {
  const root = resolve(values.workspace);
  const file = join(root, 'edgewise.json');
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  written = await saveConfig(root, mergeConfig(current, config as Record<string, unknown>) as ConfigInput);
}

if (values.json) {
  console.log(JSON.stringify({ gcs: gcs.url, vertex: vertex.url, env: { GOOGLE_OAUTH_ACCESS_TOKEN: values.token }, config, written }));
} else {
  console.log(`Fake Cloud Storage: ${gcs.url}  (bucket gs://${values.bucket} in ${values.region.toUpperCase()})`);
  console.log(`Fake Vertex AI:     ${vertex.url}  (project ${values.project}, ${values.region}; model labels ${labels ? labels.join(', ') : 'from the imported dataset'})`);
  console.log('');
  console.log('In the shell that runs edgewise:');
  console.log(`  export GOOGLE_OAUTH_ACCESS_TOKEN=${values.token}`);
  console.log('');
  console.log(written ? `Wrote the endpoints into ${written}.` : 'Merge into edgewise.json (or pass --workspace DIR to have it written):');
  if (!written) console.log(JSON.stringify(config, null, 2));
  console.log('');
  console.log('Then: edgewise upload, edgewise train --backend vertex, edgewise watch, edgewise export (or the wizard).');
  console.log('Ctrl-C stops the fakes (their state lives in memory only).');
}

const stop = (): void => {
  void Promise.all([gcs.close(), vertex.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

function labelsFromWorkspace(dir: string | undefined): string[] | undefined {
  if (!dir) return undefined;
  const csv = join(resolve(dir), 'ml/dataset/vertex_dataset.csv');
  if (!existsSync(csv)) return undefined;
  const set = new Set<string>();
  for (const line of readFileSync(csv, 'utf8').split(/\r?\n/)) {
    const label = line.split(',')[2]?.trim();
    if (label) set.add(label);
  }
  return set.size ? [...set].sort() : undefined;
}
