import { describe, expect, test, vi } from 'vitest';
import { runStep, runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexWatchStep } from '../../src/train/vertex/watch.js';
import { type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';

let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({ prepare: (w) => runStepCollect(uploadStep, {}, w.ctx()) }, (c, w) => {
  cloud = c;
  ws = w;
});

const LONG = ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'] as const;

describe('an access token (GOOGLE_OAUTH_ACCESS_TOKEN) during a long watch', () => {
  test('expiring mid-watch: says the pipeline keeps running and how to reattach; a fresh token and `watch` finish it', async () => {
    cloud.vertex.opts.pipelineStates = [...LONG];
    const run = runStep(vertexTrainStep, {}, ws.ctx(), {
      onEvent: (e) => {
        // Google stops accepting the token while the pipeline runs.
        if (e.type === 'status' && e.state === 'RUNNING') cloud.vertex.tokenExpiresAfter = 1;
      },
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'cloud.token_expired',
      message: expect.stringMatching(/^Stopped watching projects\/.+\/trainingPipelines\/\d+ after .*: the access token from GOOGLE_OAUTH_ACCESS_TOKEN has expired .* The pipeline keeps running in Vertex AI/),
      hint: expect.stringContaining('export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)`, then `edgewise watch`'),
    });
    expect((err as Error).message).not.toMatch(/refresh token/i);
    const [p] = [...cloud.vertex.pipelines.values()];
    expect(cloud.vertex.pipelines.size).toBe(1);
    expect(p!.cancelled).toBe(false);

    // The user sets a fresh token; `edgewise watch` reattaches to the same pipeline.
    cloud.vertex.token = 'fresh-token';
    cloud.gcs.token = 'fresh-token';
    vi.stubEnv('GOOGLE_OAUTH_ACCESS_TOKEN', 'fresh-token');
    const { output } = await runStepCollect(vertexWatchStep, {}, ws.ctx());
    expect(output).toMatchObject({ pipeline: p!.name, state: 'SUCCEEDED' });
    expect(cloud.vertex.pipelines.size).toBe(1);
  });

  test('a watch longer than an hour is not cut short by the client guessing an expiry ("No refresh token is set")', async () => {
    cloud.vertex.opts.pipelineStates = [...LONG];
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const output = await runStep(vertexTrainStep, {}, ws.ctx(), {
        onEvent: (e) => {
          // Two hours pass between polls; Google still accepts the token (it decides, not edgewise).
          if (e.type === 'status' && e.state === 'RUNNING') vi.setSystemTime(Date.now() + 2 * 3600_000);
        },
      });
      expect(output.state).toBe('SUCCEEDED');
    } finally {
      vi.useRealTimers();
    }
  });
});
