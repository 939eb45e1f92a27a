import { EdgewiseError, InputError } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import type { Step, StepContext } from '../../core/step.js';
import { openCloudSession, type CloudSession } from '../../cloud/session.js';
import { consoleUrl } from '../../cloud/settings.js';
import type { VertexSettings } from '../../config/schema.js';
import { UPLOAD_RESOURCE } from '../../cloud/upload-step.js';
import { isRetryable } from '../../cloud/google-errors.js';
import { withRetry } from '../../cloud/retry.js';
import { createDataset, findDatasetsByToken, getDataset, importData, newRequestToken, waitForOperation } from '../../cloud/vertex.js';
import { R, type DatasetRecord, type DatasetRequestRecord, type ImportRecord } from './resources.js';

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

/** The dataset's display name: the configured name and the CSV content it holds (a dataset is one CSV's). */
export function datasetDisplayName(base: string, csvMd5: string): string {
  const hex = Buffer.from(csvMd5, 'base64').toString('hex').slice(0, 8) || 'nocsv';
  return `${base.slice(0, 119)}-${hex}`;
}

/** gs:// URI a partial failure names, if any (Vertex's wording is not documented: the message is kept whole too). */
function failedUri(message: string): string | undefined {
  return /gs:\/\/[^\s'",;]+/.exec(message)?.[0]?.replace(/[.:)]+$/, '');
}

export async function* ensureDataset(s: CloudSession, ctx: StepContext): AsyncGenerator<StepEvent, DatasetOutput, void> {
  const j = ctx.journal;
  j.reload();
  const upload = j.resource<{ csvUri: string; csvMd5: string; images?: number }>(UPLOAD_RESOURCE);
  if (!upload) {
    throw new InputError('The images and import CSV have not been uploaded yet.', { code: 'vertex.not_uploaded', hint: 'Run `edgewise upload` first.' });
  }

  // 1. The dataset: one per import CSV content. Importing a changed CSV into the old dataset would merge
  // (a relabelled image keeps both labels, a dropped image stays), so a changed CSV gets a new dataset.
  let dataset = j.resource<DatasetRecord>(R.dataset);
  if (dataset && dataset.csvMd5 !== upload.csvMd5) {
    yield {
      type: 'log',
      message: `The import CSV changed since dataset ${dataset.name} was made (${dataset.csvMd5 ? `md5 ${dataset.csvMd5} → ${upload.csvMd5}` : 'it predates CSV tracking'}): creating a new dataset for this CSV, so old labels and dropped images do not carry over. The old dataset stays in Vertex AI.`,
    };
    j.setResource(R.dataset, undefined);
    j.setResource(R.import, undefined);
    dataset = undefined;
  }
  if (dataset && !(await getDataset(s, dataset.name, ctx.signal))) {
    yield { type: 'warning', code: 'vertex.dataset_gone', item: dataset.name, message: 'The dataset in the run journal no longer exists; creating a new one.' };
    j.setResource(R.dataset, undefined);
    j.setResource(R.import, undefined);
    dataset = undefined;
  }
  if (!dataset) {
    const displayName = datasetDisplayName(ctx.config.datasetDisplayName, upload.csvMd5);
    let name: string | undefined;
    let opName = j.resource<string>(R.datasetOperation);
    let request = j.resource<DatasetRequestRecord>(R.datasetRequest);
    if (request && request.csvMd5 !== upload.csvMd5) request = undefined;
    if (opName) yield { type: 'log', message: `Resuming the dataset creation ${opName}` };
    else if (request) {
      // A creation whose reply never arrived (lost, or the process died): find it by its request label.
      const found = await findDatasetsByToken(s, request.token, ctx.signal);
      if (found[0]) {
        name = found[0];
        yield { type: 'log', message: `Found dataset ${name} from an earlier run whose reply was lost (request ${request.token}); using it.` };
      }
    }
    if (!name && !opName) {
      request ??= { token: newRequestToken(), csvMd5: upload.csvMd5, displayName, at: new Date().toISOString() };
      j.setResource(R.datasetRequest, request);
      const req = request;
      // Retried, but each retry first looks for what an attempt whose reply was lost may have created.
      const made = await withRetry(
        async (attempt) => {
          if (attempt > 0) {
            const found = await findDatasetsByToken(s, req.token, ctx.signal);
            if (found[0]) return { dataset: found[0] };
          }
          return { operation: await createDataset(s, displayName, req.token, ctx.signal) };
        },
        { retries: s.settings.retries, baseMs: s.settings.retryBaseMs, maxMs: s.settings.retryMaxMs, signal: ctx.signal, retryable: (e) => isRetryable((e as { cause?: unknown }).cause ?? e) },
      );
      if (made.dataset) name = made.dataset;
      else {
        opName = made.operation!;
        j.setResource(R.datasetOperation, opName);
        yield { type: 'status', state: 'DATASET_CREATING', message: opName, data: { operation: opName } };
      }
    }
    if (!name) {
      const { result } = yield* waitForOperation(s, opName!, (n) => s.datasets.checkCreateDatasetProgress(n) as never, {
        what: 'dataset creation',
        signal: ctx.signal,
        onError: (err) => {
          j.setResource(R.datasetOperation, undefined);
          j.setResource(R.datasetRequest, undefined);
          return new EdgewiseError(`Creating the Vertex AI dataset failed: ${err.message}`, { code: 'vertex.dataset_failed', hint: 'Retry `edgewise train --backend vertex`; if it persists, check the project in the console.' });
        },
      });
      name = String(result?.name ?? '');
    }
    if (!name) throw new EdgewiseError('The dataset operation finished without a dataset name.', { code: 'vertex.no_dataset' });
    dataset = { name, displayName, csvMd5: upload.csvMd5, createdAt: new Date().toISOString() };
    j.setResource(R.dataset, dataset);
    j.setResource(R.datasetOperation, undefined);
    j.setResource(R.datasetRequest, undefined);
    yield { type: 'status', state: 'DATASET_READY', message: `${name} (${displayName}, for this import CSV)`, data: { dataset: name, displayName, csvMd5: upload.csvMd5, console: consoleUrl.dataset(name, s.project) } };
  } else {
    yield { type: 'log', message: `Reusing dataset ${dataset.name} (it holds this import CSV)` };
  }

  // 2. The import: skipped when this exact CSV is already in this dataset with every image.
  const out = { dataset: dataset.name, console: consoleUrl.dataset(dataset.name, s.project), csvUri: upload.csvUri, csvMd5: upload.csvMd5 };
  const prev = j.resource<ImportRecord>(R.import);
  if (prev && prev.dataset === dataset.name && prev.csvMd5 === upload.csvMd5 && prev.state === 'done' && !importMissing(prev)) {
    yield { type: 'log', message: `The import CSV (${upload.csvUri}) is already imported.` };
    return { ...out, imported: 'already' };
  }
  let rec: ImportRecord;
  if (prev && prev.dataset === dataset.name && prev.csvMd5 === upload.csvMd5 && prev.state === 'running') {
    rec = prev;
    yield { type: 'log', message: `Resuming the import ${prev.operation}` };
  } else {
    // Importing the same CSV again only adds what is missing (imports merge); images fixed since are picked up.
    if (prev?.state === 'done' && importMissing(prev)) yield { type: 'log', message: `${importMissing(prev)} image(s) were missing after the last import: importing the CSV again.` };
    const op = await importData(s, dataset.name, upload.csvUri, ctx.signal);
    rec = { dataset: dataset.name, csvUri: upload.csvUri, csvMd5: upload.csvMd5, operation: op, state: 'running', startedAt: new Date().toISOString() };
    j.setResource(R.import, rec);
    yield { type: 'status', state: 'IMPORTING', message: `${upload.csvUri} → ${dataset.name}`, data: { operation: op } };
  }
  const { metadata } = yield* waitForOperation(s, rec.operation, (n) => s.datasets.checkImportDataProgress(n) as never, {
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

  // 3. What Vertex kept: failed items by name (at most 20 are reported), and the count against the CSV.
  const failures = (((metadata?.genericMetadata as { partialFailures?: Array<{ message?: string | null }> } | undefined)?.partialFailures ?? []) as Array<{ message?: string | null }>).map((f) => String(f.message ?? ''));
  const imagesAt = s.uri(s.objectName('images/'));
  for (const message of failures) {
    const uri = failedUri(message);
    // Named as the workspace names it (the images folder), first: the status pane cuts long lines.
    const name = uri?.startsWith(imagesAt) ? uri.slice(imagesAt.length) : uri;
    yield { type: 'warning', code: 'vertex.import_item_failed', item: uri ?? upload.csvUri, message: `Vertex could not import ${name ?? 'an image'}: ${message}` };
  }
  const ds = await getDataset(s, dataset.name, ctx.signal);
  const count = ds?.dataItemCount === undefined || ds.dataItemCount === null ? undefined : Number(ds.dataItemCount);
  const rows = upload.images;
  const done: ImportRecord = { ...rec, state: 'done', finishedAt: new Date().toISOString(), failures, ...(rows !== undefined ? { csvRows: rows } : {}), ...(count !== undefined && Number.isFinite(count) ? { dataItemCount: count } : {}) };
  j.setResource(R.import, done);
  const missing = importMissing(done);
  if (missing > 0) {
    yield {
      type: 'warning',
      code: 'vertex.import_incomplete',
      item: dataset.name,
      message: `The dataset holds ${done.dataItemCount ?? '?'} of the CSV's ${rows} images: ${missing} missing${failures.length < missing ? ` (Vertex names at most 20; ${failures.length} named above)` : ''}.`,
    };
  }
  yield { type: 'status', state: 'IMPORTED', message: upload.csvUri, data: { dataItemCount: done.dataItemCount, csvRows: rows, failures: failures.length } };
  return { ...out, imported: 'now' };
}

/** Images of the CSV the dataset lacks after an import: by count when known, else by the failures named. */
export function importMissing(rec: ImportRecord): number {
  if (rec.csvRows !== undefined && rec.dataItemCount !== undefined) return Math.max(0, rec.csvRows - rec.dataItemCount);
  return rec.failures?.length ?? 0;
}
