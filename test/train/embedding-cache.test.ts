import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/train/local/embedding-cache.js';
import { nextModelVersion } from '../../src/train/model-version.js';
import { featureKey } from '../../src/train/local/backbone.js';
import { nsfwjsMobileNetV2 } from '../../src/train/local/nsfwjs-backbone.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-cache-');
});
afterEach(() => tmp.cleanup());

describe('embedding cache', () => {
  it('round-trips vectors per content hash and view', async () => {
    const c = new EmbeddingCache(tmp.dir, 'k1');
    const v = Float32Array.from([1.5, -2, 3.25]);
    await c.put('ab'.repeat(32), 'orig', v);
    expect(await c.get('ab'.repeat(32), 'orig')).toEqual(v);
    expect(await c.get('ab'.repeat(32), 'flip')).toBeUndefined();
    expect(await c.get('cd'.repeat(32), 'orig')).toBeUndefined();
  });

  it('keeps different feature keys (backbone, layer, pooling, preprocessing) apart', async () => {
    const a = new EmbeddingCache(tmp.dir, featureKey(nsfwjsMobileNetV2, { layers: ['block_13_expand_relu'], pooling: 'mean' }));
    const b = new EmbeddingCache(tmp.dir, featureKey(nsfwjsMobileNetV2, { layers: ['block_14_add'], pooling: 'mean' }));
    const c = new EmbeddingCache(tmp.dir, featureKey(nsfwjsMobileNetV2, { layers: ['block_13_expand_relu'], pooling: 'meanmax' }));
    await a.put('ee'.repeat(32), 'orig', Float32Array.from([1]));
    expect(await b.get('ee'.repeat(32), 'orig')).toBeUndefined();
    expect(await c.get('ee'.repeat(32), 'orig')).toBeUndefined();
    expect(a.dir).not.toBe(b.dir);
  });
});

describe('nextModelVersion', () => {
  it('is v001 for a missing folder and max+1 otherwise, ignoring other names', () => {
    expect(nextModelVersion(join(tmp.dir, 'nope'))).toBe('v001');
    for (const d of ['v001', 'v007', 'latest', '.v008.tmp-1']) mkdirSync(join(tmp.dir, d));
    writeFileSync(join(tmp.dir, 'v009'), 'a file is not a version folder but still reserves the name');
    expect(nextModelVersion(tmp.dir)).toBe('v010');
  });
});
