import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import { CancelledError, InputError } from '../../src/core/errors.js';
import { runStep } from '../../src/core/step.js';
import { trainStep } from '../../src/train/step.js';
import { makeTempDir } from '../helpers/tmp.js';
import { syntheticWorkspace, writeSplits } from './fixture.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-train-err-');
});
afterEach(() => tmp.cleanup());

const ctx = (config: Record<string, unknown> = {}, signal?: AbortSignal) =>
  createContext({ root: tmp.dir, config: parseConfig({ train: { workers: 0, ...config } }, 'test'), ...(signal ? { signal } : {}) });

describe('train step input errors', () => {
  it('names splits.csv and says to run split when it is missing', async () => {
    const err = await runStep(trainStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('splits.csv');
    expect((err as InputError).hint).toContain('edgewise split');
  });

  it('refuses a label that has test images but no training image, naming the image', async () => {
    mkdirSync(join(tmp.dir, 'ml', 'dataset', 'images'), { recursive: true });
    writeSplits(tmp.dir, [
      { image: 'a1.jpg', label: 'a', split: 'train', cluster: 'a1' },
      { image: 'b1.jpg', label: 'b', split: 'train', cluster: 'b1' },
      { image: 'c1.jpg', label: 'c', split: 'test', cluster: 'c1' },
    ]);
    const err = await runStep(trainStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('c1.jpg');
    expect((err as InputError).code).toBe('train.label_not_in_train');
  });

  it('names a missing image file', async () => {
    mkdirSync(join(tmp.dir, 'ml', 'dataset', 'images'), { recursive: true });
    writeSplits(tmp.dir, [
      { image: 'a1.jpg', label: 'a', split: 'train', cluster: 'a1' },
      { image: 'b1.jpg', label: 'b', split: 'train', cluster: 'b1' },
    ]);
    const err = await runStep(trainStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('a1.jpg');
  });

  it('rejects a bad train setting with the key path, when the config loads (before any step runs)', () => {
    let err: unknown;
    try {
      ctx({ hidden: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('train.hidden');
    expect((err as InputError).code).toBe('config.invalid');
  });

  it('cancelled while embedding: CancelledError and no model folder', async () => {
    await syntheticWorkspace(tmp.dir, { perClass: 6, size: [64, 96] });
    const ac = new AbortController();
    const err = await runStep(trainStep, {}, ctx({}, ac.signal), {
      onEvent: (e) => {
        if (e.type === 'progress' && e.phase === 'embed' && e.done >= 2) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    const models = join(tmp.dir, 'ml', 'models');
    expect(existsSync(models) ? readdirSync(models) : []).toEqual([]);
  });
});
