import { lazy, type ComponentType } from 'react';
import type { ScreenProps } from './types.js';
const EvalScreen = lazy(() => import('./eval.js'));
const ValidateScreen = lazy(() => import('./validate.js'));
const SplitScreen = lazy(() => import('./split.js'));
const TuneScreen = lazy(() => import('./tune.js'));
const TrainScreen = lazy(() => import('./train.js'));
const PublishScreen = lazy(() => import('./publish.js'));
const VersionsScreen = lazy(() => import('./versions.js'));
const UploadScreen = lazy(() => import('./upload.js'));
const TrainingStatusScreen = lazy(() => import('./training-status.js'));
const ExportScreen = lazy(() => import('./export.js'));

/**
 * Screens load lazily (React.lazy): the wizard's first frame must not wait for tfjs, sharp or the cloud SDKs.
 *
 * The wizard's step screens in job order. `steps` are the journal step names whose state the home screen
 * shows for this entry (done / out of date / to do).
 */
export interface ScreenEntry {
  id: string;
  title: string;
  /** One line for the home screen: what the step does. */
  summary: string;
  steps: string[];
  component: ComponentType<ScreenProps>;
  /** Shown on the home screen only for this backend (e.g. upload is Vertex-only). */
  backend?: 'local' | 'vertex';
}

/** Each step's screen adds itself here, in job order. */
export const screens: ScreenEntry[] = [
  { id: 'validate', title: 'Validate', summary: 'bad files, label rules, class balance, exact/near duplicates and conflicts; review, then write', steps: ['validate'], component: ValidateScreen },
  { id: 'split', title: 'Split', summary: 'train/validation/test per class, duplicates kept together, stable', steps: ['split'], component: SplitScreen },
  { id: 'upload', title: 'Upload', summary: 'vertex: images + import CSV to Cloud Storage, unchanged files skipped', steps: ['upload'], component: UploadScreen, backend: 'vertex' },
  { id: 'train', title: 'Train', summary: 'local: cached embeddings + softmax head, live loss/accuracy, exports .tflite', steps: ['train'], component: TrainScreen, backend: 'local' },
  { id: 'vertex-train', title: 'Vertex training', summary: 'vertex: dataset, import, AutoML pipeline; live status, detach, cancel', steps: ['vertex-train'], component: TrainingStatusScreen, backend: 'vertex' },
  { id: 'export', title: 'Export', summary: 'vertex: the trained .tflite + labels, into ml/models/vNNN, checksums verified', steps: ['vertex-export'], component: ExportScreen, backend: 'vertex' },
  { id: 'eval', title: 'Evaluate', summary: 'accuracy, calibration, per-class metrics; on the .tflite itself', steps: ['eval'], component: EvalScreen },
  { id: 'tune', title: 'Tune', summary: 'live coverage vs selective accuracy; tau and margin sliders', steps: ['tune'], component: TuneScreen },
  { id: 'publish', title: 'Publish', summary: 'old vs new metrics and thresholds, then ship it: all or nothing', steps: ['publish'], component: PublishScreen },
  { id: 'versions', title: 'Versions', summary: 'published versions, the active one, roll back to any of them', steps: [], component: VersionsScreen },
];
