import type { LocalTrainOutput } from './local/train-local.js';

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);

/** What a person reads after `edgewise train` (the wizard shows the same numbers). */
export function formatTrainSummary(o: LocalTrainOutput): string {
  const m = o.metrics;
  return [
    `Trained ${o.version} locally: ${o.labels.length} labels, backbone ${o.backbone} @ ${o.layers.join(' + ')} (${o.pooling} pooling).`,
    `  images: ${m.n_train} train, ${m.n_validation} validation, ${m.n_test} test; embedded ${o.embedded.computed} new, ${o.embedded.cached} from cache`,
    `  accuracy: train ${pct(m.train_accuracy)}, validation ${pct(m.val_accuracy)}, test ${pct(m.test_top1)} (best epoch ${m.best_epoch}/${m.epochs})`,
    `  model: ${o.tflite}`,
    `  labels: ${o.labelsFile}`,
  ].join('\n');
}
