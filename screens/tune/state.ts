import { percent } from '../../src/core/text.js';
import { GRID_STEPS, clampGrid } from '../../src/tune/grid.js';
import type { TuneKeyAction } from '../keys/bindings.js';

/** Everything the tuning screen's keys change. Pure: every key is one action through `tuneReducer`. */
export interface TuneUiState {
  /** Sliders in integer hundredths: tau = ti / 100, margin = mi / 100. */
  ti: number;
  mi: number;
  focus: 'tau' | 'margin';
  /** A number being typed: into a slider, or the target accuracy for a suggestion. */
  edit?: { field: 'tau' | 'margin' | 'target'; text: string };
  target: number;
  heatmap: 'accuracy' | 'coverage';
  message?: { kind: 'info' | 'error'; text: string };
  /** Bumped by the save key; an effect saves once per bump (side effects never run in the reducer). */
  saveRequests: number;
  /** The setting last saved (or loaded): leaving with other values asks once before dropping them. */
  saved: { ti: number; mi: number };
  /** Esc/q was pressed once with unsaved values: the next one leaves. */
  leaving?: boolean;
  /** A save left thresholds Publish would ship, and the wizard can open Publish: `p` does. */
  publishOffered?: boolean;
  status: 'tuning' | 'back' | 'publish';
}

/**
 * A key press as TUNE_KEYS (keys/bindings.ts) names it, with the character typed for `type`; `other` is a
 * key the table does not bind (it still ends typing a number, and the question about leaving).
 */
export type TuneKey = { kind: TuneKeyAction; ch?: string } | { kind: 'other' };

export type TuneAction =
  | { type: 'key'; key: TuneKey }
  | { type: 'set'; ti: number; mi: number; message?: string }
  | { type: 'message'; kind: 'info' | 'error'; text: string }
  | { type: 'offer-publish' };

/** What the reducer may ask the engine (pure look-ups): the suggestion for a target. */
export interface TuneOracle {
  suggest(target: number): { ti: number; mi: number; coverage: number } | undefined;
}

export const SMALL_STEP = 1;
export const BIG_STEP = 5;

export function initialTuneState(ti: number, mi: number, target: number): TuneUiState {
  return { ti: clampGrid(ti), mi: clampGrid(mi), focus: 'tau', target, heatmap: 'accuracy', saveRequests: 0, saved: { ti: clampGrid(ti), mi: clampGrid(mi) }, status: 'tuning' };
}

/** Esc or q: leave, unless the sliders hold values not saved yet; then say so once, and leave on the next. */
function leave(s: TuneUiState): TuneUiState {
  if (s.leaving || (s.ti === s.saved.ti && s.mi === s.saved.mi)) return { ...s, status: 'back' };
  return { ...s, leaving: true, message: { kind: 'error', text: `tau ${(s.ti / 100).toFixed(2)}, margin ${(s.mi / 100).toFixed(2)} are not saved: s saves, esc again leaves without saving` } };
}

/**
 * A typed number: `0.55` or `.55`; `55` or `55%` read as percent (a bare 0 or 1 is itself). Returns
 * hundredths, rounded to the slider grid, or undefined when it is not a value from 0 to 1 (0 to 100%).
 */
export function parseTyped(text: string): number | undefined {
  const t = text.trim();
  const percent = t.endsWith('%');
  const body = percent ? t.slice(0, -1) : t;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(body)) return undefined;
  let v = Number(body);
  if (percent || (!body.includes('.') && v > 1)) v = v / 100;
  if (!(v >= 0 && v <= 1)) return undefined;
  return Math.round(v * GRID_STEPS);
}

function move(s: TuneUiState, delta: number): TuneUiState {
  const { message: _m, ...rest } = s;
  return s.focus === 'tau' ? { ...rest, ti: clampGrid(s.ti + delta) } : { ...rest, mi: clampGrid(s.mi + delta) };
}

function jump(s: TuneUiState, oracle: TuneOracle, target: number): TuneUiState {
  const hit = oracle.suggest(target);
  if (!hit) return { ...s, target, message: { kind: 'error', text: `No setting reaches ${percent(target, 0)} selective accuracy` } };
  return { ...s, target, ti: hit.ti, mi: hit.mi, message: { kind: 'info', text: `Suggestion for ${percent(target, 0)}: highest coverage ${percent(hit.coverage)}` } };
}

function applyEdit(s: TuneUiState, oracle: TuneOracle): TuneUiState {
  const edit = s.edit;
  const base: TuneUiState = { ...s };
  delete base.edit;
  if (!edit) return base;
  const v = parseTyped(edit.text);
  if (v === undefined) return { ...base, message: { kind: 'error', text: `"${edit.text}" is not a number from 0 to 1` } };
  if (edit.field === 'target') {
    if (v === 0) return { ...base, message: { kind: 'error', text: 'The target must be above 0' } };
    return jump(base, oracle, v / GRID_STEPS);
  }
  delete base.message;
  return edit.field === 'tau' ? { ...base, ti: v } : { ...base, mi: v };
}

/** One key → the next state. Coalesced keys are just several actions in a row: no stale reads. */
export function tuneReducer(oracle: TuneOracle): (s: TuneUiState, a: TuneAction) => TuneUiState {
  return (s, a) => {
    if (s.status !== 'tuning') return s;
    if (a.type === 'set') return { ...s, ti: clampGrid(a.ti), mi: clampGrid(a.mi), ...(a.message ? { message: { kind: 'info' as const, text: a.message } } : {}) };
    if (a.type === 'message') return { ...s, message: { kind: a.kind, text: a.text } };
    if (a.type === 'offer-publish') return { ...s, publishOffered: true };
    const k = a.key;
    if (s.leaving && !s.edit && !(k.kind === 'back' || k.kind === 'leave')) {
      const { leaving: _l, ...rest } = s;
      return tuneReducer(oracle)(rest, a);
    }
    if (s.edit) {
      // Typing a number: digits, '.', '%', Backspace; Enter applies, Esc cancels; anything else applies first.
      if (k.kind === 'type' && 'ch' in k && k.ch) return { ...s, edit: { ...s.edit, text: s.edit.text + k.ch } };
      if (k.kind === 'erase') return { ...s, edit: { ...s.edit, text: s.edit.text.slice(0, -1) } };
      if (k.kind === 'back') {
        const { edit: _e, ...rest } = s;
        return rest;
      }
      if (k.kind === 'apply') return applyEdit(s, oracle);
      return tuneReducer(oracle)(applyEdit(s, oracle), a);
    }
    switch (k.kind) {
      case 'less':
        return move(s, -SMALL_STEP);
      case 'more':
        return move(s, SMALL_STEP);
      case 'less-big':
        return move(s, -BIG_STEP);
      case 'more-big':
        return move(s, BIG_STEP);
      case 'min':
        return move(s, -GRID_STEPS);
      case 'max':
        return move(s, GRID_STEPS);
      case 'switch':
        return { ...s, focus: s.focus === 'tau' ? 'margin' : 'tau' };
      case 'back':
      case 'leave':
        return leave(s);
      case 'type': {
        // A digit or '.' starts typing a value into the focused slider ('%' only ends one).
        const ch = 'ch' in k ? k.ch ?? '' : '';
        if (!/^[0-9.]$/.test(ch)) return s;
        const { message: _m, ...rest } = s;
        return { ...rest, edit: { field: s.focus, text: ch } };
      }
      case 'target': {
        const { message: _m, ...rest } = s;
        return { ...rest, edit: { field: 'target', text: '' } };
      }
      case 'suggest':
        return jump(s, oracle, s.target);
      case 'heatmap':
        return { ...s, heatmap: s.heatmap === 'accuracy' ? 'coverage' : 'accuracy' };
      case 'save':
        return { ...s, saveRequests: s.saveRequests + 1, saved: { ti: s.ti, mi: s.mi } };
      case 'publish':
        if (!s.publishOffered) return s;
        if (s.ti !== s.saved.ti || s.mi !== s.saved.mi) {
          return { ...s, message: { kind: 'error', text: `tau ${(s.ti / 100).toFixed(2)}, margin ${(s.mi / 100).toFixed(2)} are not saved: s saves them, then p opens Publish` } };
        }
        return { ...s, status: 'publish' };
      default:
        return s;
    }
  };
}
