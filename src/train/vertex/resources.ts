import type { Journal } from '../../core/journal.js';
import type { PipelineState } from '../../cloud/vertex.js';

/**
 * The remote resources edgewise created, as recorded in the run journal the moment each one exists, so
 * any later session (after a dropped SSH connection, on another terminal) can find them again.
 */
export const R = {
  dataset: 'vertex.dataset',
  /** A dataset creation still in flight (its operation name). */
  datasetOperation: 'vertex.datasetOperation',
  /** The request token of a dataset creation, journaled before the create call (see REQUEST_LABEL). */
  datasetRequest: 'vertex.datasetRequest',
  /** The request token of a pipeline creation, journaled before the create call; cleared once recorded. */
  pipelineRequest: 'vertex.pipelineRequest',
  import: 'vertex.import',
  pipeline: 'vertex.pipeline',
  model: 'vertex.model',
  export: 'vertex.export',
} as const;

export interface DatasetRecord {
  name: string;
  displayName: string;
  createdAt: string;
  /** The import CSV content this dataset holds (a dataset belongs to one CSV; a changed CSV gets a new one). */
  csvMd5?: string;
}

export interface RequestRecord {
  token: string;
  at: string;
}

export interface DatasetRequestRecord extends RequestRecord {
  csvMd5: string;
  displayName: string;
}

export interface PipelineRequestRecord extends RequestRecord {
  displayName: string;
  dataset: string;
  csvMd5: string;
  modelType: string;
  budgetMilliNodeHours: number;
  disableEarlyStopping: boolean;
}

export interface ImportRecord {
  dataset: string;
  csvUri: string;
  csvMd5: string;
  operation: string;
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** Lines of the CSV, and how many images the dataset holds after the import (dataItemCount). */
  csvRows?: number;
  dataItemCount?: number;
  /** Vertex's partial failures (it reports at most 20), verbatim. */
  failures?: string[];
}

export interface Transition {
  state: PipelineState;
  at: string;
}

export interface PipelineRecord {
  name: string;
  displayName: string;
  dataset: string;
  csvMd5?: string;
  modelType: string;
  budgetMilliNodeHours: number;
  disableEarlyStopping: boolean;
  createdAt: string;
  console: string;
  state: PipelineState;
  transitions: Transition[];
  checkedAt?: string;
  costMilliNodeHours?: number;
  startTime?: string;
  endTime?: string;
  error?: { code: number; message: string };
  model?: string;
}

export interface ModelRecord {
  name: string;
  pipeline: string;
  at: string;
}

export interface ExportRecord {
  model: string;
  version: string;
  format: string;
  outputUriPrefix: string;
  operation: string;
  state: 'running' | 'done' | 'failed';
  artifactOutputUri?: string;
  startedAt: string;
}

export function readPipeline(j: Journal): PipelineRecord | undefined {
  j.reload();
  return j.resource<PipelineRecord>(R.pipeline);
}
