import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { StepError, stepErrorLine } from '../../screens/components/step-error.js';
import { sourceFiles } from '../architecture/imports.js';

const ROOT = join(import.meta.dirname, '../..');

describe('StepError: the one error-plus-hint block', () => {
  it('shows ✖ message, then the hint on its own line; a cancel in the screen’s words', () => {
    const failed = render(<StepError state={{ status: 'failed', error: { message: 'No manifest.', hint: 'Run edgewise validate first.' } }} />);
    expect(failed.lastFrame()!.split('\n')).toEqual(['✖ No manifest.', '→ Run edgewise validate first.']);
    const cancelled = render(<StepError state={{ status: 'cancelled', error: { message: 'Cancelled.' } }} cancelled="Cancelled: nothing was written." />);
    expect(cancelled.lastFrame()).toBe('Cancelled: nothing was written.');
    const own = render(<StepError state={{ status: 'failed', error: { message: 'Empty test split.', hint: 'generic' } }} hint="press c" />);
    expect(own.lastFrame()).toContain('→ press c');
    expect(own.lastFrame()).not.toContain('generic');
    expect(stepErrorLine({ message: 'Disk full.', hint: 'Free space.' })).toBe('Disk full. → Free space.');
  });

  it('no screen draws an error’s hint itself', () => {
    const own: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'screens'))) {
      const rel = relative(ROOT, file);
      if (rel === join('screens', 'components', 'step-error.tsx')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/error\??\.hint/.test(line)) own.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(own).toEqual([]);
  });
});
