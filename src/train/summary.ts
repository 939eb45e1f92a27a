import { percent } from '../core/text.js';
import type { LocalTrainOutput } from './local/train-local.js';

/** What a person reads after `edgewise train` (the wizard shows the same numbers). */
export function formatTrainSummary(o: LocalTrainOutput): string {
  const m = o.metrics;
  return [
    `Trained ${o.version} locally: ${o.labels.length} labels, backbone ${o.backbone} @ ${o.layers.join(' + ')} (${o.pooling} pooling).`,
    `  images: ${m.n_train} train, ${m.n_validation} validation, ${m.n_test} test; embedded ${o.embedded.computed} new, ${o.embedded.cached} from cache`,
    `  accuracy: train ${percent(m.train_accuracy)}, validation ${percent(m.val_accuracy)}, test ${percent(m.test_top1)} (best epoch ${m.best_epoch}/${m.epochs})`,
    `  model: ${o.tflite}`,
    `  labels: ${o.labelsFile}`,
  ].join('\n');
}
