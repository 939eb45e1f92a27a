import { stringify } from 'csv-stringify/sync';
import type { Cluster } from './clusters.js';
import { neutraliseCell } from '../manifest/csv-safety.js';
import type { Finding } from './findings.js';
import type { PerceptualHashes } from '../images/perceptual-hash.js';
import type { QualityMeasures } from '../images/image-quality.js';

/** One manifest image in the report. */
export interface ReportImage {
  image: string;
  line: number;
  /** The label used from now on (mapping applied). */
  label: string;
  originalLabel?: string;
  split?: string;
  bytes?: number;
  sha256?: string;
  format?: string;
  width?: number;
  height?: number;
  orientation?: number;
  hashes?: PerceptualHashes;
  quality?: QualityMeasures;
  /** kept: in the cleaned manifest; dropped: a duplicate not kept; rejected: has an error. */
  status: 'kept' | 'dropped' | 'rejected';
  /** Cluster id when it has duplicates, else its SHA-256: images sharing it must share a split. */
  group?: string;
}

/** ml/dataset/report.json: every finding, machine-readable. */
export interface ValidationReport {
  version: 1;
  createdAt: string;
  manifest: string;
  imagesDir: string;
  backend: 'local' | 'vertex';
  settings: Record<string, unknown>;
  keepRule: string;
  /** Keep/drop decisions that overrode the rule (config validate.overrides, then the run's own). */
  overrides: Record<string, 'keep' | 'drop'>;
  summary: {
    rows: number;
    images: number;
    kept: number;
    dropped: number;
    rejected: number;
    errors: number;
    warnings: number;
    exactClusters: number;
    nearClusters: number;
    labelConflicts: number;
    splitLeaks: number;
    /** Images measured this run / taken from the cache. */
    hashed: number;
    cached: number;
  };
  errors: Finding[];
  warnings: Finding[];
  clusters: Cluster[];
  /** Similar (not duplicate) images kept together in one split group (validate.similarRadius > 0). */
  similarGroups: Array<{ id: string; members: string[] }>;
  /** Kept images per label (mapped). */
  classCounts: Record<string, number>;
  /** The mapping applied: original label -> label used (empty when none). */
  labelMapping: Record<string, string>;
  /** Suggested mapping for labels Vertex would reject (apply with --accept-label-mapping). */
  suggestedLabelMapping: Record<string, string>;
  images: ReportImage[];
}

/** One kept image in the cleaned manifest: the cluster (or similar group) id as its group, else its SHA-256. */
export interface CleanRow {
  image: string;
  label: string;
  sha256: string;
  group: string;
  split?: string;
  extra: Record<string, string>;
}

/**
 * The cleaned manifest (the contract with split): header `image,label,sha256,group`, then `split` when the
 * input had one, then the input's extra columns; one row per kept image. Cells are formula-neutralised
 * (split's reader restores them).
 */
export function formatCleanManifest(
  rows: readonly CleanRow[],
  hasSplit: boolean,
  extraColumns: string[],
): string {
  const reserved = new Set(['image', 'label', 'sha256', 'group', 'split']);
  const extras = extraColumns.filter((c) => !reserved.has(c.toLowerCase()));
  const columns = ['image', 'label', 'sha256', 'group', ...(hasSplit ? ['split'] : []), ...extras];
  const records = rows.map((r) => [r.image, r.label, r.sha256, r.group, ...(hasSplit ? [r.split ?? ''] : []), ...extras.map((c) => r.extra[c] ?? '')].map(neutraliseCell));
  return stringify(records, { header: true, columns });
}
