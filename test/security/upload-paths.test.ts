import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { runStepCollect } from '../../src/core/step.js';
import { BUCKET, type FakeCloud, type TestWorkspace, useFakeCloud, validatedFile } from '../integration/helpers.js';

/**
 * Issue 15, item 3: upload read whatever vertex_dataset.csv named. Now every row's object name and local
 * file is checked (inside the images folder after symlinks, a regular file, the bytes validate checked), and
 * a refused row is named; nothing is uploaded. Against the fake Cloud Storage, through the real SDK.
 */
let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({}, (c, w) => {
  cloud = c;
  ws = w;
});

const csvPath = (): string => join(ws.root, 'ml/dataset/vertex_dataset.csv');
const imagesDir = (): string => join(ws.root, 'ml/dataset/images');
/** The CSV line number of a new row appended now. */
function appendRow(object: string): number {
  appendFileSync(csvPath(), `training,gs://${BUCKET}/edgewise/images/${object},ants\n`);
  return readFileSync(csvPath(), 'utf8').trimEnd().split('\n').length;
}
function addToReport(image: string, file: string): void {
  const path = join(ws.root, 'ml/dataset/report.json');
  const report = JSON.parse(readFileSync(path, 'utf8')) as { images: unknown[] };
  report.images.push({ image, status: 'kept', ...validatedFile(file) });
  writeFileSync(path, JSON.stringify(report));
}
async function refusal(): Promise<{ code: string; item: string; message: string }> {
  const err = await runStepCollect(uploadStep, {}, ws.ctx()).then(
    () => undefined,
    (e: unknown) => e as { code: string; item: string; message: string },
  );
  expect(err, 'upload should have been refused').toBeDefined();
  // Refused before anything moved: no image, no CSV.
  expect(cloud.gcs.counts.uploads).toBe(0);
  return err!;
}

describe('upload refuses rows that reach outside the images folder', () => {
  test('a row climbing out with .. (the file exists and is even listed in report.json)', async () => {
    mkdirSync(join(ws.root, 'secret'));
    writeFileSync(join(ws.root, 'secret', 'secret.txt'), 'api-key=hunter2');
    const rel = '../../../secret/secret.txt';
    addToReport(rel, join(ws.root, 'secret', 'secret.txt'));
    const line = appendRow(rel);
    const err = await refusal();
    expect(err).toMatchObject({ code: 'upload.bad_object_name', item: `ml/dataset/vertex_dataset.csv:${line}` });
    expect(err.message).toContain('".."');
  });

  test('an image replaced by a symlink to /etc/hostname after split', async () => {
    const victim = join(imagesDir(), ws.images[0]!);
    rmSync(victim);
    symlinkSync('/etc/hostname', victim);
    const err = await refusal();
    expect(err).toMatchObject({ code: 'upload.outside_images', item: 'ml/dataset/vertex_dataset.csv:1' });
    expect(err.message).toContain('/etc/hostname');
  });

  test('an image whose bytes changed since validate (same size)', async () => {
    const file = join(imagesDir(), ws.images[2]!);
    const data = readFileSync(file);
    data[0] = data[0]! ^ 0xff;
    writeFileSync(file, data);
    const err = await refusal();
    expect(err).toMatchObject({ code: 'upload.changed_since_validate', item: 'ml/dataset/vertex_dataset.csv:3' });
  });

  test('an image validate never saw, and an object name with a control character', async () => {
    writeFileSync(join(imagesDir(), 'ants', 'extra.jpg'), 'x');
    const line = appendRow('ants/extra.jpg');
    expect(await refusal()).toMatchObject({ code: 'upload.not_validated', item: `ml/dataset/vertex_dataset.csv:${line}` });
    writeFileSync(csvPath(), readFileSync(csvPath(), 'utf8').replace('ants/extra.jpg', 'ants/ex\x1b[31mtra.jpg'));
    expect(await refusal()).toMatchObject({ code: 'upload.bad_object_name', item: `ml/dataset/vertex_dataset.csv:${line}` });
  });

  test('a directory where an image was is refused as not a regular file', async () => {
    const victim = join(imagesDir(), ws.images[1]!);
    rmSync(victim);
    mkdirSync(victim);
    expect(await refusal()).toMatchObject({ code: 'upload.not_a_file', item: 'ml/dataset/vertex_dataset.csv:2' });
  });
});
