import { describe, expect, it } from 'vitest';
import { initFlagsToConfig } from '../../src/cli/commands/init-flags.js';
import { InputError } from '../../src/core/errors.js';

describe('edgewise init --backbone', () => {
  it('writes the chosen backbone into the train section', () => {
    expect(initFlagsToConfig({ backbone: 'tm-mobilenet_v2_1.00_224' })).toEqual({ train: { backbone: 'tm-mobilenet_v2_1.00_224' } });
  });

  it('refuses an unknown backbone, naming the ones there are', () => {
    // The id an earlier version offered: its URL was not the one Teachable Machine publishes.
    const err = (() => {
      try {
        initFlagsToConfig({ backbone: 'tm-mobilenet_v2_1.0_224' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).hint).toContain('nsfwjs-mobilenet_v2, tm-mobilenet_v2_1.00_224');
  });
});
