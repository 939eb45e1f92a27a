import { describe, expect, it } from 'vitest';
import { reverseMapping, suggestLabelMapping, vertexLabelProblem, vertexSafeLabel } from '../../src/split/vertex-labels.js';

describe('Vertex label rules', () => {
  it('accepts letters, digits and underscores starting with a letter', () => {
    for (const ok of ['cat', 'Cat_2', 'a', 'honey_bee_01']) expect(vertexLabelProblem(ok)).toBeUndefined();
  });

  it('names the broken rule', () => {
    expect(vertexLabelProblem('2cats')).toMatch(/start with a letter/);
    expect(vertexLabelProblem('_x')).toMatch(/start with a letter/);
    expect(vertexLabelProblem('honey bee')).toMatch(/space/);
    expect(vertexLabelProblem('café')).toMatch(/"é"/);
    expect(vertexLabelProblem('a'.repeat(129))).toMatch(/129 characters/);
    expect(vertexLabelProblem('')).toMatch(/empty/);
  });

  it('suggests safe spellings', () => {
    expect(vertexSafeLabel('honey bee')).toBe('honey_bee');
    expect(vertexSafeLabel('Café-crème')).toBe('Cafe_creme');
    expect(vertexSafeLabel('2 cats')).toBe('L_2_cats');
    expect(vertexSafeLabel('***')).toBe('label');
  });

  it('keeps the mapping one-to-one (reversible) even when spellings collide, and never takes a valid label', () => {
    const labels = ['honey bee', 'honey-bee', 'honey_bee', 'wasp', '2x'];
    const m = suggestLabelMapping(labels);
    expect(Object.keys(m).sort()).toEqual(['2x', 'honey bee', 'honey-bee']);
    const targets = Object.values(m);
    expect(new Set(targets).size).toBe(targets.length);
    expect(targets).not.toContain('honey_bee');
    for (const t of targets) expect(vertexLabelProblem(t)).toBeUndefined();
    const rev = reverseMapping(m);
    for (const [from, to] of Object.entries(m)) expect(rev[to]).toBe(from);
  });

  it('refuses to reverse a mapping that merges labels', () => {
    expect(() => reverseMapping({ a: 'x', b: 'x' })).toThrow(/both map/);
  });
});
