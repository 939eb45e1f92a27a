import { InputError } from '../../core/errors.js';
import { backboneIds } from '../../train/local/backbones.js';

/** Flags of `edgewise init` as commander gives them. */
export interface InitFlags {
  project?: string;
  region?: string;
  bucket?: string;
  prefix?: string;
  datasetName?: string;
  modelType?: string;
  budget?: number;
  nodeHours?: number;
  backend?: string;
  manifest?: string;
  images?: string;
  backbone?: string;
}

/** Maps init flags onto the config's shape (only the ones given). */
export function initFlagsToConfig(f: InitFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.project !== undefined) out.project = f.project;
  if (f.region !== undefined) out.region = f.region;
  if (f.bucket !== undefined) out.bucket = f.bucket.replace(/^gs:\/\//, '').replace(/\/+$/, '');
  if (f.prefix !== undefined) out.prefix = f.prefix;
  if (f.datasetName !== undefined) out.datasetDisplayName = f.datasetName;
  if (f.modelType !== undefined) out.modelType = f.modelType.toUpperCase();
  if (f.budget !== undefined && f.nodeHours !== undefined) {
    throw new InputError('Give either --budget (milli node hours) or --node-hours, not both.', { item: '--budget/--node-hours' });
  }
  if (f.budget !== undefined) out.budgetMilliNodeHours = f.budget;
  if (f.nodeHours !== undefined) out.budgetMilliNodeHours = Math.round(f.nodeHours * 1000);
  if (f.backend !== undefined) out.backend = f.backend;
  const paths: Record<string, string> = {};
  if (f.manifest !== undefined) paths.manifest = f.manifest;
  if (f.images !== undefined) paths.images = f.images;
  if (Object.keys(paths).length) out.paths = paths;
  if (f.backbone !== undefined) {
    if (!backboneIds().includes(f.backbone)) {
      throw new InputError(`--backbone: unknown backbone "${f.backbone}".`, { item: '--backbone', hint: `Use one of: ${backboneIds().join(', ')}.` });
    }
    out.train = { backbone: f.backbone };
  }
  return out;
}
