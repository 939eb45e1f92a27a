import { MOBILE_MODEL_TYPES, MODEL_TYPE_HELP, VERTEX_REGIONS, bucketNameProblem, projectIdProblem } from '../src/config/rules.js';
import type { Config } from '../src/config/schema.js';
import { DEFAULT_BACKBONE, backboneChoices } from '../src/train/local/backbones.js';
import type { Question } from './components/form-state.js';

/** What the wizard found on this machine, offered as defaults. */
export interface Detected {
  project?: string;
  projectSource?: string;
  region?: string;
  imageFolders: Array<{ path: string; images: number; note?: string }>;
}

/** The first-time setup questions; the cloud ones only when the vertex backend is chosen. */
export function configureQuestions(config: Config, detected: Detected) {
  return (answers: Record<string, string>): Question[] => {
    const qs: Question[] = [
      {
        id: 'backend',
        kind: 'select',
        prompt: 'Where should models train?',
        help: 'local needs no account and ends in the same .tflite; Vertex AutoML trains bigger models in your Google Cloud project.',
        default: config.backend,
        choices: [
          { label: 'local', value: 'local', hint: 'on this machine, no cloud account' },
          { label: 'vertex', value: 'vertex', hint: 'Vertex AI AutoML (needs a project and a bucket)' },
        ],
      },
      {
        id: 'images',
        kind: 'text',
        prompt: 'Images folder (relative to the workspace)',
        help: detected.imageFolders.length
          ? `Found: ${detected.imageFolders.map((f) => `${f.path} (${f.images} images${f.note ? `, ${f.note}` : ''})`).join('; ')}. One folder per label (optionally inside train/ validation/ test/) needs no manifest.`
          : 'One folder per label (optionally inside train/ validation/ test/) needs no manifest; otherwise ml/dataset/manifest.csv names images relative to this folder.',
        default: detected.imageFolders[0]?.path ?? config.paths.images,
        validate: (v) => (v === '' ? 'give a folder' : v.startsWith('/') || v.split('/').includes('..') ? 'give a folder inside the workspace' : undefined),
      },
    ];
    if (answers.backend === 'local') {
      qs.push({
        id: 'backbone',
        kind: 'select',
        prompt: 'Which network should local training start from?',
        help: 'The bundled one needs nothing more; the ImageNet one is downloaded once into .edgewise/cache (internet needed the first time).',
        default: (config.train as { backbone?: string }).backbone ?? DEFAULT_BACKBONE,
        choices: backboneChoices().map((b) => ({ label: b.label, value: b.id, hint: b.hint })),
      });
    }
    if (answers.backend === 'vertex') {
      qs.push(
        {
          id: 'project',
          kind: 'text',
          prompt: 'Google Cloud project id',
          help: detected.project ? `Detected ${detected.project} from ${detected.projectSource}.` : 'Find it with: gcloud projects list',
          default: config.project ?? detected.project ?? '',
          validate: (v) => projectIdProblem(v),
        },
        {
          id: 'region',
          kind: 'select',
          prompt: 'Vertex AI region',
          help: 'Training runs and the dataset is stored here; pick one near your bucket.',
          default: config.region ?? detected.region,
          choices: VERTEX_REGIONS.map((r) => ({ label: r, value: r })),
        },
        {
          id: 'bucket',
          kind: 'text',
          prompt: 'Cloud Storage bucket (name only, no gs://)',
          help: 'Images, the import CSV and exports go to gs://BUCKET/PREFIX/.',
          default: config.bucket ?? '',
          validate: (v) => bucketNameProblem(v),
        },
        {
          id: 'modelType',
          kind: 'select',
          prompt: 'AutoML model type',
          help: 'All three export to .tflite for the app.',
          default: config.modelType,
          choices: MOBILE_MODEL_TYPES.map((t) => ({ label: t, value: t, hint: MODEL_TYPE_HELP[t] })),
        },
        {
          id: 'nodeHours',
          kind: 'text',
          prompt: 'Training budget in node hours (1–100)',
          help: 'Vertex bills per node hour of training; early stopping may use less.',
          default: String(config.budgetMilliNodeHours / 1000),
          validate: (v) => {
            const n = Number(v);
            return Number.isFinite(n) && n >= 1 && n <= 100 ? undefined : 'a number from 1 to 100';
          },
        },
      );
    }
    return qs;
  };
}

/** Turns the form's string answers into the config's shape. */
export function answersToConfig(a: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { backend: a.backend ?? 'local' };
  if (a.images) out.paths = { images: a.images };
  if (a.backbone) out.train = { backbone: a.backbone };
  if (a.project) out.project = a.project;
  if (a.region) out.region = a.region;
  if (a.bucket) out.bucket = a.bucket;
  if (a.modelType) out.modelType = a.modelType;
  if (a.nodeHours) out.budgetMilliNodeHours = Math.round(Number(a.nodeHours) * 1000);
  return out;
}
