import type SharpModule from 'sharp';

type Sharp = typeof SharpModule;
let loading: Promise<Sharp> | undefined;
const onLoad: ((sharp: Sharp) => void)[] = [];

/**
 * sharp, imported on first use. Importing it (libvips and its JavaScript) costs ≈ 0.2 s of CPU per thread,
 * and a measuring thread needs it only for the files the coefficient path hands on (anything but a plain
 * JPEG): on a set of plain JPEGs that load was about a third of what each of 2 worker threads spent
 * measuring 400 photos (docs/notes/hashing.md). Where sharp is imported already (the main thread, as a
 * rule) this resolves at once, to the same module.
 */
export function loadSharp(): Promise<Sharp> {
  return (loading ??= import('sharp').then((m) => {
    for (const f of onLoad) f(m.default);
    return m.default;
  }));
}

/** Runs `f` when sharp is imported through loadSharp (at once if it was). */
export function whenSharpLoads(f: (sharp: Sharp) => void): void {
  if (loading) void loading.then(f);
  else onLoad.push(f);
}
