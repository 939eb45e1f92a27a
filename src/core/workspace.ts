import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { Journal } from './journal.js';

/**
 * Where everything lives, resolved once from the config. Steps ask the workspace for paths rather than
 * joining strings, so a user who moved a folder in edgewise.json is followed everywhere.
 */
export class Workspace {
  readonly root: string;
  constructor(root: string, readonly config: Config) {
    this.root = resolve(root);
  }

  /** Absolute path of a workspace-relative one (absolute paths pass through). */
  abs(p: string): string {
    return isAbsolute(p) ? p : join(this.root, p);
  }

  /** Workspace-relative form for messages and the journal. */
  rel(p: string): string {
    if (!isAbsolute(p)) return p;
    const r = relative(this.root, p);
    return r.startsWith('..') || isAbsolute(r) ? p : r;
  }

  get manifest(): string { return this.abs(this.config.paths.manifest); }
  get imagesDir(): string { return this.abs(this.config.paths.images); }
  get datasetDir(): string { return this.abs(this.config.paths.dataset); }
  get modelsDir(): string { return this.abs(this.config.paths.models); }
  get metricsDir(): string { return this.abs(this.config.paths.metrics); }
  get publicModelsDir(): string { return this.abs(this.config.paths.publicModels); }
  /** SQLite path or postgres:// URL. */
  get registry(): string { return this.config.registry ?? this.abs(this.config.paths.registry); }

  /** Outputs of validate and split (see DESIGN.md). */
  get reportPath(): string { return join(this.datasetDir, 'report.json'); }
  get cleanManifest(): string { return join(this.datasetDir, 'manifest.clean.csv'); }
  get splitsCsv(): string { return join(this.datasetDir, 'splits.csv'); }
  get vertexCsv(): string { return join(this.datasetDir, 'vertex_dataset.csv'); }

  /** Tool state: journal, caches. Not meant to be committed. */
  get stateDir(): string { return join(this.root, '.edgewise'); }
  get cacheDir(): string { return join(this.stateDir, 'cache'); }
  get journalPath(): string { return join(this.stateDir, 'journal.json'); }

  /** `ml/models/vNNN` for a version string. */
  modelDir(version: string): string { return join(this.modelsDir, version); }

  private journalInstance: Journal | undefined;
  get journal(): Journal {
    this.journalInstance ??= new Journal(this.journalPath);
    return this.journalInstance;
  }
}

/** `v001`, `v002`, ... */
export function formatVersion(n: number): string {
  return `v${String(n).padStart(3, '0')}`;
}

export function parseVersion(v: string): number | undefined {
  const m = /^v(\d{3,})$/.exec(v);
  return m ? Number(m[1]) : undefined;
}
