import { Box, useInput } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { Spinner } from '@inkjs/ui';
import { useEffect, useMemo, useReducer } from 'react';
import { configureStep } from '../src/config/configure-step.js';
import { formReducer, initialFormState } from './components/form-state.js';
import { useKeys } from './hooks/use-keys.js';
import { CONFIGURE_KEYS } from './keys/bindings.js';
import { splitKeys } from './keys/key-table.js';
import { HelpBar } from './components/help-bar.js';
import type { Detected } from '../src/config/detect.js';
import { answersToConfig, setupQuestions } from '../src/config/setup-questions.js';
import { useStep } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/** Guided first-time setup: one question at a time, detected values offered, then edgewise.json is written. */
export default function ConfigureScreen(props: ScreenProps & { detected: Detected }) {
  const { ctx, isActive, onBack, onDone, rows, columns, detected } = props;
  const questionsFor = useMemo(() => (answers: Record<string, string>) => setupQuestions(ctx.config, detected, answers), [ctx.config, detected]);
  const reducer = useMemo(() => formReducer(questionsFor), [questionsFor]);
  const [form, dispatch] = useReducer(reducer, undefined, () => initialFormState(questionsFor));
  const save = useStep(configureStep, ctx);

  // The form reads typed text itself: every press goes to its reducer, in order.
  useInput((input, key) => splitKeys(input, key).forEach((k) => dispatch(k)), { isActive: isActive && form.status === 'asking' });
  useKeys(
    CONFIGURE_KEYS,
    (action) => {
      if (action === 'back') onBack();
      if (action === 'next' && save.state.status === 'failed') onBack();
      if (action === 'next' && save.state.status === 'done') onDone('configuration saved');
    },
    { isActive: isActive && form.status !== 'asking' && save.state.status !== 'running' },
  );

  // Side effects follow state (never run inside a key handler): coalesced keys may finish the form mid-chunk.
  useEffect(() => {
    if (form.status === 'cancelled') onBack();
    if (form.status === 'complete' && save.state.status === 'idle') save.start({ answers: answersToConfig(form.answers) });
  }, [form.status]); // eslint-disable-line react-hooks/exhaustive-deps
  // After writing or adopting a manifest, say what was found first; otherwise straight home (Validate says
  // what is missing).
  const found = save.state.status === 'done' && save.state.output && (save.state.output.dataset.kind === 'folders' || save.state.output.dataset.kind === 'csv') ? save.state.output.dataset : undefined;
  useEffect(() => {
    if (save.state.status === 'done' && !found) onDone('configuration saved');
  }, [save.state.status]); // eslint-disable-line react-hooks/exhaustive-deps

  const questions = questionsFor(form.answers);
  const q = questions[form.index];
  const listRows = Math.max(3, rows - 12);
  return (
    <Box flexDirection="column" width={columns}>
      <Text bold color={theme.accent}>
        Configure · step {Math.min(form.index + 1, questions.length)} of {questions.length}
      </Text>
      {questions.slice(0, form.index).map((pq) => (
        <Text key={pq.id} dimColor>
          {pq.prompt}: {form.answers[pq.id]}
        </Text>
      ))}
      {form.status === 'asking' && q ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{q.prompt}</Text>
          {q.help ? <Text wrap="truncate-end">{q.help}</Text> : null}
          {q.kind === 'select' ? (
            <Box flexDirection="column">
              {windowed(q.choices ?? [], form.cursor, listRows).map(({ item, index }) => (
                <Text key={item.value} color={index === form.cursor ? theme.accent : undefined} wrap="truncate-end">
                  {index === form.cursor ? '❯ ' : '  '}
                  {item.label}
                  {item.hint ? <Text dimColor> · {item.hint}</Text> : null}
                </Text>
              ))}
            </Box>
          ) : (
            // A typed field, drawn unlike the ❯ pick lists: the proposal can be edited or replaced.
            <Text>
              <Text dimColor>type or edit › </Text>
              <Text underline>{form.text}</Text>
              <Text inverse> </Text>
            </Text>
          )}
          {form.error ? <Text color={theme.error}>✖ {form.error}</Text> : null}
        </Box>
      ) : null}
      {save.state.status === 'running' ? <Spinner label="Saving edgewise.json…" /> : null}
      {found ? (
        <Box flexDirection="column" marginTop={1}>
          <Text color={theme.ok}>✔ {found.message}</Text>
          <Text dimColor>⏎ continue</Text>
        </Box>
      ) : null}
      {save.state.status === 'failed' ? (
        <StepError state={save.state} />
      ) : null}
      <Box marginTop={1}>
        <HelpBar columns={columns} table={CONFIGURE_KEYS} state={found ? 'found' : q?.kind === 'select' ? 'select' : 'text'} />
      </Box>
    </Box>
  );
}

/** The slice of a long list that keeps the cursor visible. */
export function windowed<T>(items: T[], cursor: number, size: number): Array<{ item: T; index: number }> {
  const start = Math.max(0, Math.min(cursor - Math.floor(size / 2), items.length - size));
  return items.slice(start, start + size).map((item, i) => ({ item, index: start + i }));
}
