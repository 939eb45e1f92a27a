import { EdgewiseError, InputError } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import type { Step, StepContext } from '../../core/step.js';
import { openCloudSession, type CloudSession } from '../../cloud/session.js';
import { consoleUrl, type VertexSettings } from '../../cloud/settings.js';
import { UPLOAD_RESOURCE } from '../../cloud/upload-step.js';
import { createDataset, getDataset, importData, waitForOperation } from '../../cloud/vertex.js';
import { R, type DatasetRecord, type ImportRecord } from './resources.js';

export interface DatasetOutput {
  dataset: string;
  console: string;
  csvUri: string;
  csvMd5: string;
  imported: 'now' | 'already';
}

/**
 * The Vertex dataset with the current import CSV imported: created once (or reused from the journal),
 * and imported again only when the CSV changed. Every operation name is journaled before waiting on it,
 * so a killed session resumes the wait instead of starting over.
 */
export const vertexDatasetStep: Step<{ settings?: Partial<VertexSettings> }, DatasetOutput> = {
  name: 'vertex-dataset',
  title: 'Vertex AI dataset and import',
  async *run(input, ctx) {
    const s = await openCloudSession(ctx.config, { ...(input.settings ? { settings: input.settings } : {}) });
    try {
      return yield* ensureDataset(s, ctx);
    } finally {
      await s.close();
    }
  },
};

export async function* ensureDataset(s: CloudSession, ctx: StepContext): AsyncGenerator<StepEvent, DatasetOutput, void> {
  const j = ctx.journal;
  j.reload();
  const upload = j.resource<{ csvUri: string; csvMd5: string }>(UPLOAD_RESOURCE);
  if (!upload) {
    throw new InputError('The images and import CSV have not been uploaded yet.', { code: 'vertex.not_uploaded', hint: 'Run `edgewise upload` first.' });
  }

  // 1. The dataset.
  let dataset = j.resource<DatasetRecord>(R.dataset);
  if (dataset && !(await getDataset(s, dataset.name, ctx.signal))) {
    yield { type: 'warning', code: 'vertex.dataset_gone', item: dataset.name, message: 'The dataset in the run journal no longer exists; creating a new one.' };
    j.setResource(R.dataset, undefined);
    j.setResource(R.import, undefined);
    dataset = undefined;
  }
  if (!dataset) {
    let opName = j.resource<string>(R.datasetOperation);
    if (opName) yield { type: 'log', message: `Resuming the dataset creation ${opName}` };
    else {
      opName = await createDataset(s, ctx.config.datasetDisplayName, ctx.signal);
      j.setResource(R.datasetOperation, opName);
      yield { type: 'status', state: 'DATASET_CREATING', message: opName, data: { operation: opName } };
    }
    const { result } = yield* waitForOperation(s, opName, (n) => s.datasets.checkCreateDatasetProgress(n) as never, {
      what: 'dataset creation',
      signal: ctx.signal,
      onError: (err) => {
        j.setResource(R.datasetOperation, undefined);
        return new EdgewiseError(`Creating the Vertex AI dataset failed: ${err.message}`, { code: 'vertex.dataset_failed', hint: 'Retry `edgewise train --backend vertex`; if it persists, check the project in the console.' });
      },
    });
    const name = String(result?.name ?? '');
    if (!name) throw new EdgewiseError('The dataset operation finished without a dataset name.', { code: 'vertex.no_dataset' });
    dataset = { name, displayName: ctx.config.datasetDisplayName, createdAt: new Date().toISOString() };
    j.setResource(R.dataset, dataset);
    j.setResource(R.datasetOperation, undefined);
    yield { type: 'status', state: 'DATASET_READY', message: name, data: { dataset: name, console: consoleUrl.dataset(name, s.project) } };
  } else {
    yield { type: 'log', message: `Reusing dataset ${dataset.name}` };
  }

  // 2. The import: skipped when this exact CSV is already in this dataset.
  const out = { dataset: dataset.name, console: consoleUrl.dataset(dataset.name, s.project), csvUri: upload.csvUri, csvMd5: upload.csvMd5 };
  const prev = j.resource<ImportRecord>(R.import);
  if (prev && prev.dataset === dataset.name && prev.csvMd5 === upload.csvMd5 && prev.state === 'done') {
    yield { type: 'log', message: `The import CSV (${upload.csvUri}) is already imported.` };
    return { ...out, imported: 'already' };
  }
  let rec: ImportRecord;
  if (prev && prev.dataset === dataset.name && prev.csvMd5 === upload.csvMd5 && prev.state === 'running') {
    rec = prev;
    yield { type: 'log', message: `Resuming the import ${prev.operation}` };
  } else {
    const op = await importData(s, dataset.name, upload.csvUri, ctx.signal);
    rec = { dataset: dataset.name, csvUri: upload.csvUri, csvMd5: upload.csvMd5, operation: op, state: 'running', startedAt: new Date().toISOString() };
    j.setResource(R.import, rec);
    yield { type: 'status', state: 'IMPORTING', message: `${upload.csvUri} → ${dataset.name}`, data: { operation: op } };
  }
  yield* waitForOperation(s, rec.operation, (n) => s.datasets.checkImportDataProgress(n) as never, {
    what: 'dataset import',
    signal: ctx.signal,
    onError: (err) => {
      j.setResource(R.import, { ...rec, state: 'failed', finishedAt: new Date().toISOString(), error: err.message });
      return new EdgewiseError(`Importing ${upload.csvUri} into the dataset failed: ${err.message}`, {
        code: 'vertex.import_failed',
        item: upload.csvUri,
        hint: 'Check the CSV lines and images it names (readable JPEG/PNG/GIF/BMP/ICO under 30 MB, at least 10 per label), fix them, run `edgewise split` and `edgewise upload`, then retry.',
      });
    },
  });
  j.setResource(R.import, { ...rec, state: 'done', finishedAt: new Date().toISOString() });
  yield { type: 'status', state: 'IMPORTED', message: upload.csvUri };
  return { ...out, imported: 'now' };
}
