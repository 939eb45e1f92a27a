import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, saveConfig } from '../../src/config/load.js';
import { bucketNameProblem } from '../../src/config/rules.js';
import { InputError } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('config precedence: defaults < edgewise.json < environment < flags', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('uses the seed layout and the local backend by default', () => {
    const c = loadConfig({ root: tmp.dir, env: {} });
    expect(c.backend).toBe('local');
    expect(c.region).toBe('us-central1');
    expect(c.paths.manifest).toBe('ml/dataset/manifest.csv');
    expect(c.paths.images).toBe('ml/dataset/images');
    expect(c.paths.metrics).toBe('ml/metrics');
    expect(c.paths.publicModels).toBe('public/models');
    expect(c.project).toBeUndefined();
  });

  it('lets each layer override the one below', () => {
    const t = makeTempDir();
    try {
      writeFileSync(join(t.dir, 'edgewise.json'), JSON.stringify({ project: 'file-project', region: 'europe-west4', bucket: 'file-bucket', paths: { images: 'photos' } }));
      const fileOnly = loadConfig({ root: t.dir, env: {} });
      expect([fileOnly.project, fileOnly.region, fileOnly.bucket, fileOnly.paths.images, fileOnly.paths.manifest]).toEqual([
        'file-project',
        'europe-west4',
        'file-bucket',
        'photos',
        'ml/dataset/manifest.csv',
      ]);
      const env = { GOOGLE_CLOUD_PROJECT: 'env-project', EDGEWISE_BUCKET: 'env-bucket' };
      const withEnv = loadConfig({ root: t.dir, env });
      expect([withEnv.project, withEnv.region, withEnv.bucket]).toEqual(['env-project', 'europe-west4', 'env-bucket']);
      const withFlags = loadConfig({ root: t.dir, env, flags: { bucket: 'flag-bucket', paths: { manifest: 'm.csv' } } });
      expect([withFlags.project, withFlags.bucket, withFlags.paths.images, withFlags.paths.manifest]).toEqual(['env-project', 'flag-bucket', 'photos', 'm.csv']);
    } finally {
      t.cleanup();
    }
  });

  it('names the field, the value and the rule for every invalid value', () => {
    let err: unknown;
    try {
      loadConfig({ root: tmp.dir, env: {}, flags: { bucket: 'Bad_Bucket', region: 'mars-central1', budgetMilliNodeHours: 500 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as InputError).message;
    expect(msg).toContain('bucket = "Bad_Bucket": only lowercase letters');
    expect(msg).toContain('region = "mars-central1": must be a Vertex AI region');
    expect(msg).toContain('budgetMilliNodeHours = 500: must be at least 1000');
    expect((err as InputError).exitCode).toBe(2);
  });

  it('rejects unknown keys and a split that does not add up', () => {
    expect(() => loadConfig({ root: tmp.dir, env: {}, flags: { bukket: 'x' } })).toThrow(/bukket/);
    expect(() => loadConfig({ root: tmp.dir, env: {}, flags: { split: { train: 0.9, validation: 0.1, test: 0.1 } } })).toThrow(/add up to 1/);
  });

  it('reports a broken edgewise.json with its path', () => {
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{ "project": ');
    expect(() => loadConfig({ root: tmp.dir, env: {} })).toThrow(/edgewise\.json is not a valid JSON object/);
  });

  it('refuses to write anything that looks like a secret', async () => {
    await expect(saveConfig(tmp.dir, { registry: 'postgres://app:hunter2@db.example/models' })).rejects.toThrow(/secret/);
    await saveConfig(tmp.dir, { registry: 'postgres://db.example/models', bucket: 'ok-bucket' });
    expect(JSON.parse(readFileSync(join(tmp.dir, 'edgewise.json'), 'utf8'))).toEqual({ registry: 'postgres://db.example/models', bucket: 'ok-bucket' });
  });
});

describe('one schema for every section', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  const loadError = (file: unknown): InputError => {
    writeFileSync(join(tmp.dir, 'edgewise.json'), JSON.stringify(file));
    try {
      loadConfig({ root: tmp.dir, env: {} });
    } catch (e) {
      return e as InputError;
    }
    throw new Error('loaded without an error');
  };

  it('a typo in tune.* is reported when the config loads, naming the key and the file', () => {
    const err = loadError({ tune: { targetAcuracy: 0.9 } });
    expect(err).toBeInstanceOf(InputError);
    expect(err.code).toBe('config.invalid');
    expect(err.message).toContain('tune.targetAcuracy: not a setting edgewise knows');
    expect(err.message).toContain(join(tmp.dir, 'edgewise.json'));
    expect(err.exitCode).toBe(2);
  });

  it.each([
    ['validate', { validate: { nearRadius: 40 } }, 'validate.nearRadius = 40'],
    ['validate typo', { validate: { nearRaduis: 6 } }, 'validate.nearRaduis: not a setting'],
    ['train', { train: { hidden: -1 } }, 'train.hidden = -1'],
    ['train typo', { train: { epoch: 5 } }, 'train.epoch: not a setting'],
    ['train.vertex', { train: { vertex: { concurrency: 0 } } }, 'train.vertex.concurrency = 0'],
    ['tune', { tune: { split: 'train' } }, 'tune.split = "train"'],
    ['split', { split: { train: 2 } }, 'split.train = 2'],
    ['split typo', { split: { tset: 0.1 } }, 'split.tset: not a setting'],
  ])('%s: the same error code, the field and its value', (_section, file, says) => {
    const err = loadError(file);
    expect(err.code).toBe('config.invalid');
    expect(err.message).toContain(says);
  });

  it('each stage reads its typed section, defaults filled in', () => {
    const c = loadConfig({ root: tmp.dir, env: {} });
    expect(c.validate.nearRadius).toBe(8);
    expect(c.tune).toEqual({ targetAccuracy: 0.95, split: 'auto' });
    expect(c.train.vertex.pollMs).toBe(30_000);
    expect(c.train.epochs).toBe(200);
    // No default here: train/local fills in its bundled backbone, so loading the config never loads one.
    expect(c.train.backbone).toBeUndefined();
  });
});

describe('bucket naming rules', () => {
  it.each([
    ['my-bucket', undefined],
    ['my.bucket.example', undefined],
    ['ab', 'must be 3 to 63 characters long'],
    ['a'.repeat(64), 'must be 3 to 63 characters long'],
    ['-bucket', 'must start and end with a letter or digit'],
    ['Bucket', 'only lowercase letters'],
    ['192.168.5.4', 'cannot be an IP address'],
    ['goog-bucket', 'cannot start with "goog"'],
    ['my-google-bucket', 'cannot contain "google"'],
    ['gs://my-bucket', 'without gs://'],
  ])('%s', (name, problem) => {
    const p = bucketNameProblem(name);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });
});
