import type { KeyPress } from '../keys/key-table.js';

/**
 * A keyboard form as a pure reducer: every key is an action applied to the latest state, so keys that
 * arrive coalesced in one chunk over SSH ("↓↓⏎abc⏎") all land, in order, on the right question.
 */
export interface Choice {
  label: string;
  value: string;
  hint?: string;
}

export interface Question {
  id: string;
  prompt: string;
  help?: string;
  kind: 'select' | 'text';
  choices?: Choice[];
  default?: string;
  /** Returns the problem with a typed value, or undefined when it is acceptable. */
  validate?(value: string): string | undefined;
}

export interface FormState {
  index: number;
  answers: Record<string, string>;
  cursor: number;
  text: string;
  error?: string;
  status: 'asking' | 'complete' | 'cancelled';
}

/** One key press, as the one key splitter hands it over (keys/key-table.ts). */
export type FormKey = KeyPress;

export type QuestionsFor = (answers: Record<string, string>) => Question[];

function enter(questions: Question[], index: number, answers: Record<string, string>, base: Omit<FormState, 'index' | 'cursor' | 'text'>): FormState {
  const q = questions[index];
  if (!q) return { ...base, answers, index, cursor: 0, text: '', status: 'complete' };
  const current = answers[q.id] ?? q.default ?? '';
  const cursor = q.kind === 'select' ? Math.max(0, q.choices?.findIndex((c) => c.value === current) ?? 0) : 0;
  const { error: _drop, ...rest } = base;
  return { ...rest, answers, index, cursor, text: q.kind === 'text' ? current : '' };
}

export function initialFormState(questions: QuestionsFor, answers: Record<string, string> = {}): FormState {
  return enter(questions(answers), 0, answers, { answers, status: 'asking' });
}

export function formReducer(questionsFor: QuestionsFor) {
  return (state: FormState, key: FormKey): FormState => {
    if (state.status !== 'asking') return state;
    const questions = questionsFor(state.answers);
    const q = questions[state.index];
    if (!q) return { ...state, status: 'complete' };
    if (key.escape) {
      if (state.index === 0) return { ...state, status: 'cancelled' };
      return enter(questions, state.index - 1, state.answers, { ...state });
    }
    if (q.kind === 'select') {
      const n = q.choices?.length ?? 0;
      if (key.upArrow) return { ...state, cursor: (state.cursor - 1 + n) % n };
      if (key.downArrow || key.tab) return { ...state, cursor: (state.cursor + 1) % n };
      if (key.return) {
        const value = q.choices?.[state.cursor]?.value ?? '';
        const answers = { ...state.answers, [q.id]: value };
        return enter(questionsFor(answers), state.index + 1, answers, { ...state });
      }
      return state;
    }
    if (key.return) {
      const value = state.text.trim();
      const problem = q.validate?.(value);
      if (problem) return { ...state, error: problem };
      const answers = { ...state.answers, [q.id]: value };
      return enter(questionsFor(answers), state.index + 1, answers, { ...state });
    }
    if (key.backspace || key.delete) {
      const { error: _e, ...rest } = state;
      return { ...rest, text: state.text.slice(0, -1) };
    }
    if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.tab) return state;
    // Printable input (possibly several characters pasted at once).
    const printable = key.input.replace(/[\u0000-\u001f\u007f]/g, '');
    if (!printable) return state;
    const { error: _e, ...rest } = state;
    return { ...rest, text: state.text + printable };
  };
}
