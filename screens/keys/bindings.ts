import type { KeyTable } from './key-table.js';

/**
 * Every key of the wizard, one table per screen (key-table.ts says how a table is read). A screen matches
 * keys against its table, its help bar shows the rows with a `bar` label, and `?` lists every row; the App
 * reads these tables without loading the screens (they load lazily).
 */

/** Keys the wizard itself reads, on every screen but Configure (where `?` is a typed character). */
export const APP_KEYS: KeyTable<'help' | 'close' | 'quit'> = [
  { keys: { '?': 'help' }, help: 'show or hide this help', bar: 'all keys' },
  { keys: { escape: 'close', q: 'close' }, help: 'close this help' },
  { keys: { 'ctrl+c': 'quit' }, help: 'cancel the running step and quit (exit 130)' },
];

export const HOME_KEYS: KeyTable<'up' | 'down' | 'open' | 'jump' | 'quit'> = [
  { keys: { up: 'up', down: 'down', k: 'up', j: 'down' }, help: 'move in the list of steps', bar: 'move', barKeys: ['up', 'down'] },
  { keys: { return: 'open' }, help: 'open the selected step', bar: 'open' },
  { keys: { '1-9': 'jump' }, help: 'jump to a step', bar: 'jump' },
  { keys: { q: 'quit' }, help: 'quit', bar: 'quit' },
];

/** Configure is a form: it reads typed text itself (form-state.ts); these are the keys around it. */
export type ConfigureBar = 'select' | 'text' | 'found';
export const CONFIGURE_KEYS: KeyTable<'choose' | 'erase' | 'next' | 'back', ConfigureBar> = [
  { keys: { up: 'choose', down: 'choose', tab: 'choose' }, help: 'choose an answer', bar: (s) => (s === 'select' ? 'choose' : undefined), barKeys: ['up', 'down'] },
  { keys: {}, shown: 'type', help: 'type or edit a path', bar: (s) => (s === 'text' ? 'a path' : undefined) },
  { keys: { backspace: 'erase' }, help: 'erase the last character', bar: (s) => (s === 'text' ? 'edit' : undefined) },
  { keys: { return: 'next' }, help: 'next question; at the end, continue', bar: (s) => (s === 'found' ? 'continue' : 'next') },
  { keys: { escape: 'back', q: 'back' }, help: 'previous question; at the first, back (q only once the form is done)', bar: (s) => (s === 'found' ? undefined : 'back'), barKeys: ['escape'] },
];

export interface ValidateBar {
  review: boolean;
  written: boolean;
}
export const VALIDATE_KEYS: KeyTable<'up' | 'down' | 'prev' | 'next' | 'toggle' | 'reset' | 'findings' | 'enter' | 'back', ValidateBar> = [
  { keys: { up: 'up', down: 'down', k: 'up', j: 'down' }, help: 'previous / next cluster (scrolls the findings list while it is open)', bar: (s) => (s.review ? 'cluster' : undefined), barKeys: ['up', 'down'] },
  { keys: { left: 'prev', right: 'next', h: 'prev', l: 'next' }, help: 'previous / next member of the cluster', bar: (s) => (s.review ? 'member' : undefined), barKeys: ['left', 'right'] },
  { keys: { space: 'toggle' }, help: 'keep or drop the member', bar: (s) => (s.review ? 'keep/drop' : undefined) },
  { keys: { r: 'reset' }, help: 'reset the choices', bar: (s) => (s.review ? 'reset' : undefined) },
  { keys: { f: 'findings' }, help: 'list every error and warning (file, line, what is wrong)', bar: (s) => (s.review ? 'findings' : undefined) },
  { keys: { return: 'enter' }, help: 'write report and cleaned manifest; then back to the steps', bar: (s) => (!s.review ? undefined : s.written ? 'back to steps' : 'write') },
  { keys: { escape: 'back', q: 'back' }, help: 'back (closes the findings list first; cancels a running check)', bar: (s) => (s.review ? 'back' : 'back (cancels)'), barKeys: ['escape'] },
];

export interface SplitBar {
  fixed: boolean;
  emptySplit: boolean;
  finished: boolean;
}
export const SPLIT_KEYS: KeyTable<'focus' | 'less' | 'more' | 'less1' | 'more1' | 'carve' | 'enter' | 'back', SplitBar> = [
  { keys: { up: 'focus', down: 'focus', tab: 'focus', k: 'focus', j: 'focus' }, help: 'validation / test', bar: (s) => (s.fixed ? undefined : 'choose'), barKeys: ['up', 'down'] },
  { keys: { left: 'less', right: 'more' }, help: '±5%', bar: (s) => (s.fixed ? undefined : '±5%') },
  { keys: { '+': 'more1', '-': 'less1', '=': 'more1', _: 'less1' }, help: '±1%', bar: (s) => (s.fixed ? undefined : '±1%'), barKeys: ['+', '-'] },
  { keys: { c: 'carve' }, help: "take an empty validation/test split out of train (when the manifest's split column has none)", bar: (s) => (s.emptySplit ? 'carve from train' : undefined) },
  { keys: { return: 'enter' }, help: 'write the split, then back', bar: (s) => (s.finished ? 'back to steps' : 'write split') },
  { keys: { escape: 'back', q: 'back' }, help: 'back (cancels a running split)', bar: 'back', barKeys: ['escape'] },
];

export const UPLOAD_KEYS: KeyTable<'enter' | 'dry' | 'back', { finished: boolean }> = [
  { keys: { return: 'enter' }, help: 'upload (unchanged files skipped); once done, continue', bar: (s) => (s.finished ? 'continue' : 'upload') },
  { keys: { d: 'dry' }, help: 'dry run: list what would move, move nothing', bar: 'dry run' },
  { keys: { escape: 'back', q: 'back' }, help: 'back (cancels a running upload; finished files are kept)', bar: 'back', barKeys: ['escape'] },
];

export const TRAIN_KEYS: KeyTable<'enter' | 'force' | 'back', { finished: boolean; running: boolean }> = [
  { keys: { return: 'enter' }, help: 'train, then continue', bar: (s) => (s.finished ? 'continue' : 'train') },
  { keys: { f: 'force' }, help: 'retrain though up to date', bar: 'retrain' },
  { keys: { escape: 'back', q: 'back' }, help: 'back; cancels a running training', bar: (s) => (s.running ? 'cancel' : 'back'), barKeys: ['escape'] },
];

export const VERTEX_TRAIN_KEYS: KeyTable<'enter' | 'detach' | 'cancel' | 'yes' | 'no' | 'back', { running: boolean; started: boolean }> = [
  { keys: { return: 'enter' }, help: 'start, or reattach to the pipeline', bar: (s) => (s.running ? 'watching' : s.started ? 'reattach / train' : 'start') },
  { keys: { d: 'detach' }, help: 'detach (the pipeline goes on)', bar: 'detach' },
  { keys: { c: 'cancel' }, help: 'cancel the pipeline (asks y/n)', bar: 'cancel pipeline' },
  { keys: { y: 'yes', Y: 'yes', n: 'no', N: 'no' }, help: 'answer the question on screen' },
  { keys: { escape: 'back', q: 'back' }, help: 'back (the pipeline goes on)', bar: 'back', barKeys: ['escape'] },
];

export const EXPORT_KEYS: KeyTable<'enter' | 'back', { finished: boolean }> = [
  { keys: { return: 'enter' }, help: 'export and download, then continue', bar: (s) => (s.finished ? 'continue' : 'export') },
  { keys: { escape: 'back', q: 'back' }, help: 'back (a running export resumes next time)', bar: 'back', barKeys: ['escape'] },
];

export type EvalBar = 'running' | 'failed' | 'report';
export const EVAL_KEYS: KeyTable<'up' | 'down' | 'pageup' | 'pagedown' | 'top' | 'bottom' | 'rerun' | 'cancel' | 'back', EvalBar> = [
  { keys: { up: 'up', down: 'down', k: 'up', j: 'down' }, help: 'scroll', bar: (s) => (s === 'report' ? 'scroll' : undefined), barKeys: ['up', 'down'] },
  { keys: { space: 'pagedown', b: 'pageup', pagedown: 'pagedown', pageup: 'pageup' }, help: 'page down / up', bar: (s) => (s === 'report' ? 'page' : undefined), barKeys: ['space', 'b'] },
  { keys: { g: 'top', G: 'bottom', home: 'top', end: 'bottom' }, help: 'top / end', bar: (s) => (s === 'report' ? 'top/end' : undefined), barKeys: ['g', 'G'] },
  { keys: { r: 'rerun' }, help: 'evaluate again', bar: (s) => (s === 'report' ? 'rerun' : s === 'failed' ? 'run again' : undefined) },
  { keys: { c: 'cancel' }, help: 'cancel while running' },
  { keys: { escape: 'back' }, help: 'back; cancels while running', bar: (s) => (s === 'running' ? 'cancel' : 'back') },
];

export type TuneKeyAction = 'less' | 'more' | 'less-big' | 'more-big' | 'min' | 'max' | 'switch' | 'type' | 'erase' | 'apply' | 'heatmap' | 'target' | 'suggest' | 'save' | 'publish' | 'back' | 'leave';
export const TUNE_KEYS: KeyTable<TuneKeyAction, { publishOffered: boolean; loading: boolean }> = [
  { keys: { left: 'less', right: 'more', h: 'less', l: 'more' }, help: 'tau or margin ±0.01', bar: (s) => (s.loading ? undefined : '±0.01'), barKeys: ['left', 'right'] },
  {
    keys: { '[': 'less-big', ']': 'more-big', H: 'less-big', L: 'more-big', pagedown: 'less-big', pageup: 'more-big', 'shift+left': 'less-big', 'shift+right': 'more-big', 'meta+left': 'less-big', 'meta+right': 'more-big' },
    help: '±0.05',
    bar: (s) => (s.loading ? undefined : '±0.05'),
    barKeys: ['[', ']'],
  },
  { keys: { home: 'min', end: 'max' }, help: 'the slider to 0 / to 1' },
  { keys: { tab: 'switch', up: 'switch', down: 'switch' }, help: 'switch slider', bar: (s) => (s.loading ? undefined : 'switch'), barKeys: ['tab'] },
  { keys: { '0-9': 'type', '.': 'type', '%': 'type', backspace: 'erase' }, help: 'type a value (0.55, .55 or 55%), ⏎ applies, esc cancels', bar: (s) => (s.loading ? undefined : 'type'), barKeys: ['0-9'] },
  { keys: { return: 'apply' }, help: 'apply the value typed' },
  { keys: { m: 'heatmap' }, help: 'heatmap: accuracy or coverage', bar: (s) => (s.loading ? undefined : 'heatmap') },
  { keys: { t: 'target' }, help: 'type a target accuracy: ⏎ goes to its suggestion', bar: (s) => (s.loading ? undefined : 'target') },
  { keys: { g: 'suggest' }, help: 'go to the suggestion for the target', bar: (s) => (s.loading ? undefined : 'suggestion') },
  { keys: { s: 'save' }, help: 'save thresholds', bar: (s) => (s.loading ? undefined : 'save') },
  { keys: { p: 'publish' }, help: 'after a save in the wizard: open Publish', bar: (s) => (s.publishOffered ? 'publish' : undefined) },
  { keys: { escape: 'back', q: 'leave' }, help: 'back (asks once when the values are not saved)', bar: 'back', barKeys: ['escape'] },
];

/** Publish asks its question in words beside the comparison ("y/enter publish · n/esc back"): no help bar. */
export const PUBLISH_KEYS: KeyTable<'yes' | 'enter' | 'no' | 'back'> = [
  { keys: { y: 'yes', return: 'enter' }, help: 'publish and make active (⏎ continues once published)' },
  { keys: { n: 'no', escape: 'back', q: 'back' }, help: 'back without publishing' },
];

export const VERSIONS_KEYS: KeyTable<'up' | 'down' | 'rollback' | 'enter' | 'yes' | 'no' | 'back'> = [
  { keys: { up: 'up', down: 'down', k: 'up', j: 'down' }, help: 'select a version', bar: 'select', barKeys: ['up', 'down'] },
  { keys: { r: 'rollback', return: 'enter' }, help: 'roll back to it (asks y/n)', bar: 'roll back to it' },
  { keys: { y: 'yes', n: 'no' }, help: 'answer the question on screen' },
  { keys: { escape: 'back', q: 'back' }, help: 'back (cancels a question first)', bar: 'back', barKeys: ['escape'] },
];

/** Each route's table, for the `?` overlay. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SCREEN_KEYS: Record<string, KeyTable<string, any>> = {
  home: HOME_KEYS,
  validate: VALIDATE_KEYS,
  split: SPLIT_KEYS,
  upload: UPLOAD_KEYS,
  train: TRAIN_KEYS,
  'vertex-train': VERTEX_TRAIN_KEYS,
  export: EXPORT_KEYS,
  eval: EVAL_KEYS,
  tune: TUNE_KEYS,
  publish: PUBLISH_KEYS,
  versions: VERSIONS_KEYS,
};
