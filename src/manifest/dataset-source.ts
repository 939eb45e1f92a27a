import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { plural } from '../core/text.js';
import { Workspace } from '../core/workspace.js';
import type { Config } from '../config/schema.js';
import { describeClassFolders, formatFolderManifest, labelsCsvNear, manifestFingerprint, readClassFolders } from './folder-layout.js';

/**
 * Where the dataset's manifest comes from, decided once at configuration time (init and the wizard's
 * Configure): the user's own manifest; one written from a folder-per-label tree; or a labels CSV found
 * beside a flat folder of photos. Every later step reads a manifest, so there is one way to read a dataset,
 * and a generated one is a plain CSV the user can open and edit.
 */
export interface DatasetSource {
  kind: 'manifest' | 'folders' | 'csv' | 'none';
  /** What was found, in one or two sentences (shown by init and Configure). */
  message: string;
  /** Paths to record in edgewise.json (a labels CSV becomes paths.manifest). */
  paths?: { manifest?: string; images?: string };
  /** The manifest to write (workspace-relative path and its text). */
  write?: { path: string; text: string };
  images?: number;
  labels?: number;
  splitFolders?: string[];
}

/** Remembers the manifest edgewise wrote, so a rerun regenerates it only while nobody has edited it. */
const stampPath = (ws: Workspace) => join(ws.stateDir, 'generated-manifest.json');

function generatedByUs(ws: Workspace): boolean {
  try {
    const stamp = JSON.parse(readFileSync(stampPath(ws), 'utf8')) as { path?: string; sha256?: string };
    return stamp.path === ws.config.paths.manifest && stamp.sha256 === manifestFingerprint(readFileSync(ws.manifest, 'utf8'));
  } catch {
    return false;
  }
}

/** Looks at the configured manifest and images folder and decides where the manifest comes from. */
export function planDatasetSource(root: string, config: Config): DatasetSource {
  const ws = new Workspace(root, config);
  const manifestName = config.paths.manifest;
  const imagesName = config.paths.images;
  if (existsSync(ws.manifest) && !generatedByUs(ws)) {
    return { kind: 'manifest', message: `Using your manifest ${manifestName} (images in ${imagesName}/).` };
  }
  if (!existsSync(ws.imagesDir)) {
    return {
      kind: 'none',
      message: `${imagesName}/ does not exist yet: put the photos there, one folder per label (optionally inside train/, validation/, test/), and run this again; or write ${manifestName}.`,
    };
  }
  const folders = readClassFolders(ws.imagesDir);
  if (folders) {
    const left = folders.unlabelled.length
      ? ` ${plural(folders.unlabelled.length, 'photo')} outside a label folder ${folders.unlabelled.length === 1 ? 'was' : 'were'} left out (e.g. ${folders.unlabelled.slice(0, 2).join(', ')}).`
      : '';
    const splits = folders.splitFolders.length ? ' Each image keeps the split its folder names.' : '';
    return {
      kind: 'folders',
      message: `Found ${imagesName}/: ${describeClassFolders(folders)}. Wrote ${manifestName} (one row per image, labelled by its folder; edit it freely).${splits}${left}`,
      write: { path: manifestName, text: formatFolderManifest(folders) },
      images: folders.rows.length,
      labels: folders.labels.length,
      splitFolders: folders.splitFolders,
    };
  }
  const csv = labelsCsvNear(ws.imagesDir, [ws.manifest])[0];
  if (csv) {
    const csvName = ws.rel(csv.path);
    const dir = ws.rel(csv.imagesDir) || '.';
    return {
      kind: 'csv',
      message: `Found ${csvName} (columns ${csv.imageColumn}, ${csv.labelColumn}; ${plural(csv.rows, 'row')}) naming photos in ${dir}/: using it as the manifest.`,
      paths: { manifest: csvName, images: dir },
    };
  }
  return {
    kind: 'none',
    message: `${imagesName}/ has no label folders and no labels CSV: put the photos in one folder per label (e.g. ${imagesName}/cat/1.jpg), or write ${manifestName} with the columns image,label.`,
  };
}

/** Writes what planDatasetSource decided (the generated manifest and its stamp). */
export async function applyDatasetSource(root: string, config: Config, source: DatasetSource): Promise<void> {
  if (!source.write) return;
  const ws = new Workspace(root, config);
  await writeFileAtomic(ws.abs(source.write.path), source.write.text);
  await writeJsonAtomic(stampPath(ws), { path: source.write.path, sha256: manifestFingerprint(source.write.text) });
}
