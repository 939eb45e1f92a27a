import type { Harness } from '../harness.js';
import { percent } from '../../core/text.js';

/**
 * One stage of `edgewise demo`: runs its step(s) on the demo workspace and returns a short summary of what
 * it did and where the outputs are. Stages run in this order; each issue adds its own.
 */
export interface DemoStage {
  name: string;
  run(h: Harness): Promise<string>;
}

/** Filled in job order: validate, split, train, eval, tune, publish (+ second publish and rollback). */
export const demoStages: DemoStage[] = [
  // validate: first (split reads its cleaned manifest); the synthetic data's planted faults are found here.
  {
    name: 'validate',
    async run(h) {
      const { runValidateDemoStage } = await import('./validate-stage.js');
      return runValidateDemoStage(h);
    },
  },
  // split: must come after validate (it reads the cleaned manifest).
  {
    name: 'split',
    async run(h) {
      const { splitStep } = await import('../../split/split-step.js');
      const out = await h.run(splitStep, {});
      const t = out.totals;
      return `${t.train} train / ${t.validation} validation / ${t.test} test, ${out.leaks.groups === 0 ? 'no cluster across splits' : `${out.leaks.groups} clusters span splits (manifest split column)`}, largest per-class deviation ${out.maxDeviation} → ${out.splitsCsv}${out.vertexCsv ? `, ${out.vertexCsv}` : ''}`;
    },
  },
  // train: must come after split (it reads splits.csv); local backend, exports ml/models/vNNN/.
  {
    name: 'train',
    async run(h) {
      const { trainStep } = await import('../../train/step.js');
      const out = await h.run(trainStep, {});
      const m = out.metrics;
      return `${out.version} local (${out.backbone} @ ${out.layers.join('+')}): validation ${percent(m.val_accuracy)}, test ${percent(m.test_top1)} on embeddings, ${out.embedded.computed} embedded (${out.embedded.threads} thread${out.embedded.threads === 1 ? '' : 's'}) → ${out.tflite}`;
    },
  },
  // eval: must come after train (it evaluates the latest ml/models/vNNN/model.tflite).
  {
    name: 'eval',
    async run(h) {
      const { evalStep } = await import('../../evaluate/eval-step.js');
      const out = await h.run(evalStep, {});
      const m = out.metrics;
      return `${out.version} on ${m.n} test images: top-1 ${m.top1.toFixed(3)}, top-3 ${m.top3.toFixed(3)}, ECE ${m.ece.toFixed(3)} → ${m.ece_after_temperature.toFixed(3)} at T=${m.temperature.toFixed(2)} → ${out.metricsPath}, ${out.reportPath}`;
    },
  },
  // tune: must come after eval (it reads ml/metrics/predictions_vNNN.json).
  {
    name: 'tune',
    async run(h) {
      const { runTuneDemoStage } = await import('./tune-stage.js');
      return runTuneDemoStage(h);
    },
  },
  // publish, publish-2, rollback: must come after tune (they read ml/metrics/thresholds_vNNN.json).
  { name: 'publish', run: async (h) => (await import('./registry-stages.js')).publishDemo(h) },
  { name: 'publish-2', run: async (h) => (await import('./registry-stages.js')).publishSecondDemo(h) },
  { name: 'rollback', run: async (h) => (await import('./registry-stages.js')).rollbackDemo(h) },
];
