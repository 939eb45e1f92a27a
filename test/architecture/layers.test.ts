import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layerViolations, projectImports } from './imports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('layers point one way', () => {
  it('finds the imports it judges (a scanner that saw nothing would pass any rule)', () => {
    const edges = projectImports(ROOT, ['src', 'screens']);
    expect(edges).toContainEqual({ from: 'src/cli/open-screens.ts', to: 'screens/open' });
    expect(edges).toContainEqual({ from: 'src/cli/commands/demo.ts', to: 'src/cli/demo/run-demo' });
    expect(edges).toContainEqual({ from: 'src/registry/open-store.ts', to: 'src/registry/sqlite-store' });
  });

  it('domain code imports no front end, screens do not import the CLI, the CLI reaches screens through one door', () => {
    expect(layerViolations(ROOT)).toEqual([]);
  });
});
