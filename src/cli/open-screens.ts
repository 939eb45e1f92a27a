import { statSync } from 'node:fs';

/**
 * The one place the CLI reaches the Ink front end (test/architecture/layers.test.ts holds every other module in
 * src/ to that). The one screen host (screens/open.tsx) loads from the rolldown bundle (dist/wizard,
 * rolldown.config.mjs), which starts far faster than Ink's and React's many small modules, when it is built and
 * not older than tsc's output (a tsc-only build after editing a screen must not run a stale bundle); from the
 * modules otherwise (tests run the TypeScript).
 */
async function load<M>(bundled: URL, modules: URL, importModules: () => Promise<M>): Promise<M> {
  const mtime = (u: URL) => statSync(u, { throwIfNoEntry: false })?.mtimeMs;
  return (mtime(bundled) ?? -1) >= (mtime(modules) ?? 0) ? ((await import(bundled.href)) as M) : importModules();
}

/** The wizard (`edgewise` with no command on a terminal). */
export function loadWizard(): Promise<typeof import('../../screens/open.js')> {
  return load(new URL('../../wizard/open.js', import.meta.url), new URL('../../screens/open.js', import.meta.url), () => import('../../screens/open.js'));
}

/** The tuning screen (`edgewise tune --interactive`): the same host, which loads the tune screen alone. */
export const loadTuneScreen = loadWizard;
