import { describe, expect, test, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { BUCKET, fakeConfig, makeWorkspace, type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';
import { md5Base64 } from './fakes/gcs.js';

let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({}, (c, w) => {
  cloud = c;
  ws = w;
});

function remoteMatchesLocal(): void {
  for (const name of ws.images) {
    const o = cloud.gcs.getObject(BUCKET, `edgewise/images/${name}`);
    expect(o, name).toBeDefined();
    expect(md5Base64(o!.data)).toBe(md5Base64(readFileSync(join(ws.root, 'ml/dataset/images', name))));
  }
}

describe('upload', () => {
  test('uploads every image and the CSV, then a rerun on unchanged data uploads nothing with one listing', async () => {
    const { output, events } = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(output.uploaded).toBe(ws.images.length + 1);
    expect(output.skipped).toBe(0);
    remoteMatchesLocal();
    expect(cloud.gcs.getObject(BUCKET, 'edgewise/vertex_dataset.csv')?.data.toString()).toContain(`gs://${BUCKET}/edgewise/images/ants/ants_0.jpg`);
    const progress = events.filter((e) => e.type === 'progress' && e.phase === 'bytes');
    expect(progress.at(-1)).toMatchObject({ done: output.bytesUploaded - readFileSync(join(ws.root, 'ml/dataset/vertex_dataset.csv')).length });

    const before = cloud.gcs.requests.length;
    const uploadsBefore = cloud.gcs.counts.uploads;
    const again = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(again.output.uploaded).toBe(0);
    expect(again.output.skipped).toBe(ws.images.length);
    expect(cloud.gcs.counts.uploads).toBe(uploadsBefore);
    const rerun = cloud.gcs.requests.slice(before);
    // bucket metadata + one listing page; no per-file requests
    expect(rerun.length).toBe(2);
    expect(ws.ctx().journal.resource('gcs.upload')).toMatchObject({ csvUri: `gs://${BUCKET}/edgewise/vertex_dataset.csv` });
    // Recorded for the home screen, yet never skipped: the rerun above listed the bucket.
    expect(ws.ctx().journal.step('upload')).toMatchObject({ output: { uploaded: 0 } });
    expect(again.events.some((e) => e.type === 'step-skip')).toBe(false);
  });

  test('the listing follows pages: 2,500 objects under the prefix cost 3 list requests, not one per file', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    for (let i = 0; i < 2500; i++) cloud.gcs.putObject(BUCKET, `edgewise/images/other/${i}.jpg`, 'x');
    const before = cloud.gcs.requests.length;
    const { output } = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(output.uploaded).toBe(0);
    expect(cloud.gcs.requests.slice(before).filter((r) => r.method === 'GET' && r.path.endsWith('/o')).length).toBe(3);
  });

  test('dry run lists what would move and moves nothing', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    // The bucket's copy differs from the local (validated) file: that one would move, nothing else.
    cloud.gcs.putObject(BUCKET, `edgewise/images/${ws.images[0]}`, 'changed');
    cloud.gcs.putObject(BUCKET, 'edgewise/vertex_dataset.csv', 'changed');
    const uploadsBefore = cloud.gcs.counts.uploads;
    const { output } = await runStepCollect(uploadStep, { dryRun: true }, ws.ctx());
    expect(output.dryRun).toBe(true);
    expect(output.wouldUpload).toContain(`edgewise/images/${ws.images[0]}`);
    expect(output.wouldUpload).toContain('edgewise/vertex_dataset.csv');
    expect(output.wouldUpload).toHaveLength(2);
    expect(cloud.gcs.counts.uploads).toBe(uploadsBefore);
  });

  test('a dry run without credentials plans offline and says what it could not check; a real upload still refuses', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edgewise-nocreds-'));
    vi.stubEnv('GOOGLE_OAUTH_ACCESS_TOKEN', '');
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', '');
    vi.stubEnv('CLOUDSDK_CONFIG', empty);
    vi.stubEnv('METADATA_SERVER_DETECTION', 'none');
    const { output, events } = await runStepCollect(uploadStep, { dryRun: true }, ws.ctx());
    expect(output).toMatchObject({ dryRun: true, uploaded: 0, images: ws.images.length });
    expect(output.wouldUpload).toHaveLength(ws.images.length + 1);
    expect(output.wouldUpload).toContain('edgewise/vertex_dataset.csv');
    expect(output.notChecked?.join(' ')).toContain('which objects gs://edgewise-demo-bucket/edgewise already holds');
    expect(events.find((e) => e.type === 'warning' && e.code === 'upload.offline_plan')).toMatchObject({ message: expect.stringContaining('No Google Cloud credentials found') });
    expect(cloud.gcs.requests).toHaveLength(0);
    await expect(runStepCollect(uploadStep, {}, ws.ctx())).rejects.toMatchObject({ code: 'cloud.no_credentials' });
  });

  test('503s and 429s are retried until the upload succeeds', async () => {
    cloud.gcs.faults.push({ method: 'POST', path: /^\/upload\//, status: 503, times: 3 }, { method: 'POST', path: /^\/upload\//, status: 429, times: 2 });
    const { output, events } = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(output.uploaded).toBe(ws.images.length + 1);
    expect(events.filter((e) => e.type === 'warning' && e.code === 'upload.retry').length).toBe(5);
    remoteMatchesLocal();
  });

  test('damaged bytes of a simple upload: GCS refuses them (400, MD5) and that object is sent again', async () => {
    cloud.gcs.corruptNextUploads = 2;
    const { output, events } = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(output.uploaded).toBe(ws.images.length + 1);
    // Every object once, plus the two refused sends.
    expect(cloud.gcs.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/upload/')).length).toBe(ws.images.length + 1 + 2);
    const retries = events.filter((e) => e.type === 'warning' && e.code === 'upload.retry');
    expect(retries).toHaveLength(2);
    expect(retries.every((e) => e.type === 'warning' && /HTTP 400: Provided MD5 hash .* doesn't match/.test(e.message))).toBe(true);
    remoteMatchesLocal();
  });

  test('re-sending after MD5 refusals is bounded: a link that damages every attempt ends in a clear error', async () => {
    cloud.gcs.corruptNextUploads = 1000;
    const err = await runStepCollect(uploadStep, { settings: { retries: 2, concurrency: 1 } }, ws.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.stringContaining("doesn't match calculated MD5 hash") });
    // One object, tried 1 + 2 times; the rest were never started.
    expect(cloud.gcs.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/upload/')).length).toBe(3);
    expect(cloud.gcs.counts.uploads).toBe(0);
  });

  test('damaged bytes of a resumable upload (no MD5 declared) are caught by the returned hashes and re-sent', async () => {
    const big = makeWorkspace(fakeConfig(cloud, { train: { vertex: { pollMs: 10, operationPollMs: 10, retryBaseMs: 5, retryMaxMs: 40, resumableThresholdBytes: 1000 } } }), { perLabel: 1 });
    try {
      cloud.gcs.corruptNextUploads = 1;
      const { output, events } = await runStepCollect(uploadStep, {}, big.ctx());
      expect(output.uploaded).toBe(big.images.length + 1);
      expect(events.filter((e) => e.type === 'warning' && /MD5/.test(e.message)).length).toBe(1);
      for (const name of big.images) expect(cloud.gcs.getObject(BUCKET, `edgewise/images/${name}`)!.data.equals(readFileSync(join(big.root, 'ml/dataset/images', name)))).toBe(true);
    } finally {
      big.cleanup();
    }
  });

  test('a connection reset in the middle of a resumable upload ends with the complete object', async () => {
    const big = makeWorkspace(fakeConfig(cloud, { train: { vertex: { pollMs: 10, operationPollMs: 10, retryBaseMs: 5, retryMaxMs: 40, resumableThresholdBytes: 10_000 } } }), { perLabel: 2, bytes: 300_000 });
    try {
      cloud.gcs.faults.push({ method: 'PUT', path: /^\/upload\//, reset: 'midbody', afterBytes: 100_000, withBody: true });
      const { output } = await runStepCollect(uploadStep, {}, big.ctx());
      expect(output.uploaded).toBe(big.images.length + 1);
      for (const name of big.images) {
        const o = cloud.gcs.getObject(BUCKET, `edgewise/images/${name}`)!;
        expect(o.data.equals(readFileSync(join(big.root, 'ml/dataset/images', name)))).toBe(true);
      }
      // the interrupted session was resumed: a status query (PUT bytes */*) followed the reset
      expect(cloud.gcs.requests.filter((r) => r.method === 'PUT').length).toBeGreaterThan(big.images.length);
    } finally {
      big.cleanup();
    }
  });

  test('cancelling mid-upload keeps only whole objects, and the rerun uploads just the rest', async () => {
    cloud.gcs.latencyMs = 30;
    const ac = new AbortController();
    const { runStep } = await import('../../src/core/step.js');
    const p = runStep(uploadStep, { settings: { concurrency: 2 } }, ws.ctx(ac.signal), {
      onEvent: (e) => {
        if (e.type === 'progress' && e.phase === 'files' && e.done >= 2) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ exitCode: 130 });
    await new Promise((r) => setTimeout(r, 150)); // uploads in flight finish
    const bucket = cloud.gcs.buckets.get(BUCKET)!;
    const done = [...bucket.objects.keys()].filter((k) => k.includes('/images/'));
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.length).toBeLessThan(ws.images.length);
    expect(bucket.objects.has('edgewise/vertex_dataset.csv')).toBe(false);
    for (const name of done) {
      const local = readFileSync(join(ws.root, 'ml/dataset/images', name.slice('edgewise/images/'.length)));
      expect(bucket.objects.get(name)!.data.equals(local)).toBe(true);
    }
    cloud.gcs.latencyMs = 0;
    const { output } = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(output.skipped).toBe(done.length);
    expect(output.uploaded).toBe(ws.images.length - done.length + 1);
    remoteMatchesLocal();
  });

  test('a missing bucket says how to create it', async () => {
    cloud.gcs.buckets.delete(BUCKET);
    await expect(runStepCollect(uploadStep, {}, ws.ctx())).rejects.toMatchObject({ code: 'cloud.bucket_missing', hint: expect.stringContaining('gcloud storage buckets create gs://edgewise-demo-bucket --location=us-central1') });
  });

  test('object-level roles only (no storage.buckets.get): warns that the location was not checked and uploads', async () => {
    cloud.gcs.objectRolesOnly = true;
    const { output, events } = await runStepCollect(uploadStep, {}, ws.ctx());
    expect(cloud.gcs.requests.some((r) => r.method === 'GET' && /\/b\/[^/]+$/.test(r.path))).toBe(true);
    const w = events.find((e) => e.type === 'warning' && e.code === 'cloud.bucket_location_unchecked');
    expect(w).toMatchObject({ item: `gs://${BUCKET}`, message: expect.stringContaining('location not checked') });
    expect((w as { message: string }).message).toContain('storage.buckets.get');
    expect(output.uploaded).toBe(ws.images.length + 1);
    remoteMatchesLocal();
  });

  test('a bucket in another region is refused before any upload', async () => {
    cloud.gcs.buckets.get(BUCKET)!.location = 'EUROPE-WEST4';
    await expect(runStepCollect(uploadStep, {}, ws.ctx())).rejects.toMatchObject({ code: 'cloud.bucket_location' });
    expect(cloud.gcs.counts.uploads).toBe(0);
  });
});
