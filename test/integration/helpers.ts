import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import type { StepContext } from '../../src/core/step.js';
import { startFakeGcs, type FakeGcs } from './fakes/gcs.js';
import { startFakeVertex, type FakeVertex, type FakeVertexOptions } from './fakes/vertex.js';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { installNetworkGuard, type NetworkGuard } from './guard.js';

export const TOKEN = 'fake-access-token';
export const PROJECT = 'demo-project';
export const BUCKET = 'edgewise-demo-bucket';

export interface FakeCloud {
  gcs: FakeGcs;
  vertex: FakeVertex;
  close(): Promise<void>;
}

export async function startFakeCloud(opts: FakeVertexOptions = {}): Promise<FakeCloud> {
  const gcs = await startFakeGcs({ token: TOKEN });
  gcs.addBucket(BUCKET, 'US-CENTRAL1');
  const vertex = await startFakeVertex({ project: PROJECT, token: TOKEN, gcs, lroPolls: 2, ...opts });
  return { gcs, vertex, close: async () => void (await Promise.all([gcs.close(), vertex.close()])) };
}

/** Config pointing at the fakes, with millisecond polling and quick retries. */
export function fakeConfig(cloud: FakeCloud, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    project: PROJECT,
    region: 'us-central1',
    bucket: BUCKET,
    prefix: 'edgewise',
    backend: 'vertex',
    vertex: { apiEndpoint: cloud.vertex.url },
    storage: { apiEndpoint: cloud.gcs.url },
    train: { vertex: { pollMs: 10, operationPollMs: 10, retryBaseMs: 5, retryMaxMs: 40, concurrency: 8 } },
    ...extra,
  };
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);

export interface TestWorkspace {
  root: string;
  images: string[];
  ctx(signal?: AbortSignal, opts?: { force?: boolean }): StepContext;
  cleanup(): void;
}

/** A workspace with N small images across labels and the Vertex import CSV the split step would write. */
export function makeWorkspace(config: ConfigInput, opts: { perLabel?: number; labels?: string[]; bytes?: number } = {}): TestWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'edgewise-cloud-'));
  const labels = opts.labels ?? ['ants', 'bees'];
  const per = opts.perLabel ?? 6;
  const imagesDir = join(root, 'ml/dataset/images');
  mkdirSync(imagesDir, { recursive: true });
  const lines: string[] = [];
  const images: string[] = [];
  const splits = ['training', 'training', 'training', 'training', 'validation', 'test'];
  for (const label of labels) {
    mkdirSync(join(imagesDir, label), { recursive: true });
    for (let i = 0; i < per; i++) {
      const name = `${label}/${label}_${i}.jpg`;
      // JPEG's magic bytes, then noise: the fake Vertex import reads an object's type from its first bytes.
      writeFileSync(join(imagesDir, name), Buffer.concat([JPEG_MAGIC, randomBytes((opts.bytes ?? 2000) - JPEG_MAGIC.length)]));
      images.push(name);
      lines.push(`${splits[i % splits.length]},gs://${config.bucket}/${config.prefix ?? 'edgewise'}/images/${name},${label}`);
    }
  }
  writeFileSync(join(root, 'ml/dataset/vertex_dataset.csv'), lines.join('\n') + '\n');
  // What validate records of each kept image: upload uploads only files matching it.
  const report = { version: 1, images: images.map((image) => ({ image, status: 'kept', ...validatedFile(join(imagesDir, image)) })) };
  writeFileSync(join(root, 'ml/dataset/report.json'), JSON.stringify(report));
  const cfg = parseConfig(config, 'test config');
  return {
    root,
    images,
    ctx: (signal, opts) => createContext({ root, config: cfg, ...(signal ? { signal } : {}), ...(opts?.force ? { force: true } : {}) }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Replaces an image of the workspace and records the new bytes in report.json, as a validate run would: for
 * images validate keeps but Vertex cannot import (upload re-checks every file against report.json).
 */
export function replaceValidatedImage(ws: TestWorkspace, image: string, data: string | Buffer): void {
  const file = join(ws.root, 'ml/dataset/images', image);
  writeFileSync(file, data);
  const reportPath = join(ws.root, 'ml/dataset/report.json');
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { images: Array<{ image: string }> };
  report.images = report.images.map((r) => (r.image === image ? { ...r, ...validatedFile(file) } : r));
  writeFileSync(reportPath, JSON.stringify(report));
}

/** Size and SHA-256 of a file, as validate's report.json records them. */
export function validatedFile(path: string): { bytes: number; sha256: string } {
  const data = readFileSync(path);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

export interface FakeCloudHooks {
  vertex?: FakeVertexOptions;
  /** Extra config over `fakeConfig` (poll intervals, retry timings...). */
  config?: Partial<ConfigInput>;
  /** Work every test of the file starts from (e.g. an upload). */
  prepare?(ws: TestWorkspace): Promise<unknown>;
}

/**
 * The lifecycle every fake-cloud test file shares: a network guard for the whole file; per test, a token
 * in the environment, fresh fake servers and a fresh workspace (handed over through `ready`), and at the
 * end no non-loopback connection attempted.
 */
export function useFakeCloud(opts: FakeCloudHooks, ready: (cloud: FakeCloud, ws: TestWorkspace) => void): void {
  let guard: NetworkGuard;
  let cloud: FakeCloud;
  let ws: TestWorkspace;
  beforeAll(() => {
    guard = installNetworkGuard();
  });
  afterAll(() => guard.uninstall());
  beforeEach(async () => {
    vi.stubEnv('GOOGLE_OAUTH_ACCESS_TOKEN', TOKEN);
    cloud = await startFakeCloud(opts.vertex ?? {});
    ws = makeWorkspace(fakeConfig(cloud, opts.config ?? {}));
    ready(cloud, ws);
    await opts.prepare?.(ws);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await cloud.close();
    ws.cleanup();
    expect(guard.violations).toEqual([]);
  });
}
