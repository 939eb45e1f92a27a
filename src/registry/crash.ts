/**
 * Injected crash points for the all-or-nothing tests: with EDGEWISE_CRASH_AT=<point> the process sends
 * itself SIGKILL when it reaches that point, so nothing (no finally, no exit handler) gets to tidy up.
 */
export function crashPoint(point: string): void {
  if (process.env.EDGEWISE_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/** Every crash point publish and rollback pass, in order (the crash tests iterate over these). */
export const PUBLISH_CRASH_POINTS = [
  'publish.locked',
  'publish.journal-opened',
  'publish.staging-partial',
  'publish.staged',
  'publish.public-staged',
  'publish.journal-written',
  'publish.artifacts-renamed',
  'registry.before-commit',
  'publish.committed',
  'publish.label-map-renamed',
  'publish.before-journal-clear',
] as const;

export const ROLLBACK_CRASH_POINTS = [
  'rollback.verified',
  'rollback.journal-written',
  'registry.before-commit',
  'rollback.committed',
  'materialize.model-file',
  'materialize.label-map',
  'materialize.model-json',
  'rollback.before-journal-clear',
] as const;
