import type { Harness } from '../cli/harness.js';

/**
 * One stage of `edgewise demo`: runs its step(s) on the demo workspace and returns a short summary of what
 * it did and where the outputs are. Stages run in this order; each issue adds its own.
 */
export interface DemoStage {
  name: string;
  run(h: Harness): Promise<string>;
}

/** Filled in job order: validate, split, train, eval, tune, publish (+ second publish and rollback). */
export const demoStages: DemoStage[] = [];
