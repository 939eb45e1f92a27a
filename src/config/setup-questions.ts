import type { Detected } from './detect.js';
import { MOBILE_BUDGET, MOBILE_MODEL_TYPES, MODEL_TYPE_HELP, VERTEX_REGIONS, bucketNameProblem, projectIdProblem } from './rules.js';
import type { Config } from './schema.js';
import { DEFAULT_BACKBONE, backboneChoices } from '../train/local/backbones.js';

/**
 * The first-time setup questions as data. Both front ends render this one table: the wizard's Configure
 * screen (screens/configure.tsx, one question at a time with Ink) and `edgewise init` on a terminal
 * (src/cli/commands/init-prompts.ts, with @inquirer/prompts). Wording, choices, defaults and checks live here
 * only, so the two cannot drift apart.
 */
export interface SetupChoice {
  label: string;
  value: string;
  hint?: string;
}

export interface SetupQuestion {
  /** The answer's key (see answersToConfig). */
  id: 'backend' | 'images' | 'backbone' | 'project' | 'region' | 'bucket' | 'modelType' | 'nodeHours';
  kind: 'select' | 'text';
  prompt: string;
  /** One line that says what the answer is for, shown under the prompt. */
  help?: string;
  choices?: SetupChoice[];
  default?: string;
  /** The problem with a typed value, or undefined when it is acceptable. */
  validate?(value: string): string | undefined;
}

/** The questions to ask, given the answers so far: the cloud ones only when the vertex backend is chosen. */
export function setupQuestions(config: Config, detected: Detected, answers: Record<string, string>): SetupQuestion[] {
  const qs: SetupQuestion[] = [
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
    const [lo, hi] = [MOBILE_BUDGET.min / 1000, MOBILE_BUDGET.max / 1000];
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
        default: config.region ?? detected.region ?? VERTEX_REGIONS[0],
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
        prompt: `Training budget in node hours (${lo}–${hi})`,
        help: 'Vertex bills per node hour of training; early stopping may use less.',
        default: String(config.budgetMilliNodeHours / 1000),
        validate: (v) => {
          const n = Number(v);
          return v.trim() !== '' && Number.isFinite(n) && n >= lo && n <= hi ? undefined : `a number from ${lo} to ${hi}`;
        },
      },
    );
  }
  return qs;
}

/** Turns the string answers into the config's shape. */
export function answersToConfig(a: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.backend) out.backend = a.backend;
  if (a.images) out.paths = { images: a.images };
  if (a.backbone) out.train = { backbone: a.backbone };
  if (a.project) out.project = a.project;
  if (a.region) out.region = a.region;
  if (a.bucket) out.bucket = a.bucket;
  if (a.modelType) out.modelType = a.modelType;
  if (a.nodeHours) out.budgetMilliNodeHours = Math.round(Number(a.nodeHours) * 1000);
  return out;
}

/** The answers already given in the config's shape (`edgewise init`'s flags): those questions are not asked. */
export function configToAnswers(c: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const paths = c.paths as { images?: string } | undefined;
  const train = c.train as { backbone?: string } | undefined;
  if (typeof c.backend === 'string') out.backend = c.backend;
  if (paths?.images !== undefined) out.images = paths.images;
  if (train?.backbone !== undefined) out.backbone = train.backbone;
  for (const k of ['project', 'region', 'bucket', 'modelType'] as const) if (typeof c[k] === 'string') out[k] = c[k];
  if (typeof c.budgetMilliNodeHours === 'number') out.nodeHours = String(c.budgetMilliNodeHours / 1000);
  return out;
}
