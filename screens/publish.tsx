import { Box, useInput } from 'ink';
import { Text } from './components/text.js';
import { useEffect, useReducer, useRef } from 'react';
import type { Step } from '../src/core/step.js';
import { publishPlanStep, type PlanSide, type PublishPlan } from '../src/registry/plan.js';
import { publishStep, type PublishResult, type PublishStepInput } from '../src/registry/publish.js';
import { useStep } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/** Pure key reducer (every key is an action, so keys coalesced over SSH apply in order to the latest state). */
export interface PublishUi {
  /** review: showing old vs new; confirmed: the user said yes (the effect starts the publish). */
  stage: 'review' | 'confirmed' | 'started';
  leave: 'back' | 'done' | null;
}
export const initialPublishUi: PublishUi = { stage: 'review', leave: null };

export type PublishUiAction =
  | { type: 'key'; input: string; escape: boolean; enter: boolean; canConfirm: boolean; finished: boolean }
  | { type: 'started' };

export function publishUiReducer(s: PublishUi, a: PublishUiAction): PublishUi {
  if (s.leave) return s;
  if (a.type === 'started') return { ...s, stage: 'started' };
  if (s.stage === 'review') {
    if (a.escape || a.input === 'n' || a.input === 'q') return { ...s, leave: 'back' };
    if (a.canConfirm && (a.enter || a.input === 'y')) return { ...s, stage: 'confirmed' };
    return s;
  }
  // While publishing, keys wait; afterwards any of enter/esc/q leaves.
  if (a.finished && (a.enter || a.escape || a.input === 'q')) return { ...s, leave: 'done' };
  return s;
}

export interface PublishScreenProps extends ScreenProps {
  model?: string;
  forceUnevaluated?: boolean;
  /** Tests pass their own steps. */
  planStep?: Step<PublishStepInput, PublishPlan>;
  publishStep?: Step<PublishStepInput, PublishResult>;
}

const ROWS: Array<{ label: string; get(s: PlanSide): number | null | undefined; higherIsBetter: boolean | null }> = [
  { label: 'top-1', get: (s) => s.metrics.top1, higherIsBetter: true },
  { label: 'top-3', get: (s) => s.metrics.top3, higherIsBetter: true },
  { label: 'ECE', get: (s) => s.metrics.ece, higherIsBetter: false },
  { label: 'coverage', get: (s) => s.metrics.coverage, higherIsBetter: true },
  { label: 'selective acc.', get: (s) => s.metrics.selective_accuracy, higherIsBetter: true },
  { label: 'tau', get: (s) => s.tau, higherIsBetter: null },
  { label: 'margin', get: (s) => s.margin, higherIsBetter: null },
  { label: 'temperature', get: (s) => s.temperature, higherIsBetter: null },
];

const fmt = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(3) : '–');

function Delta({ before, after, higherIsBetter }: { before: number | null | undefined; after: number | null | undefined; higherIsBetter: boolean | null }) {
  if (typeof before !== 'number' || typeof after !== 'number' || Math.abs(after - before) < 5e-4) return <Text> </Text>;
  const d = after - before;
  const good = higherIsBetter === null ? undefined : (d > 0) === higherIsBetter;
  return <Text {...(good === undefined ? {} : { color: good ? theme.ok : theme.error })}>{`${d > 0 ? '+' : ''}${d.toFixed(3)}`}</Text>;
}

/** Old vs new (metrics and thresholds), then y to publish: the version goes live all at once or not at all. */
export default function PublishScreen(props: PublishScreenProps) {
  const { ctx, isActive, columns, onBack, onDone } = props;
  const plan = useStep(props.planStep ?? publishPlanStep, ctx);
  const pub = useStep(props.publishStep ?? publishStep, ctx);
  const [ui, dispatch] = useReducer(publishUiReducer, initialPublishUi);
  const input: PublishStepInput = { ...(props.model ? { model: props.model } : {}), ...(props.forceUnevaluated ? { forceUnevaluated: true } : {}) };

  useEffect(() => {
    plan.start(input);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const p = plan.state.output;
  const planned = p !== undefined && plan.state.status === 'done';
  const canConfirm = planned && p.alreadyPublishedAs === undefined;
  const finished = ['done', 'failed', 'cancelled'].includes(pub.state.status) || plan.state.status === 'failed' || (planned && !canConfirm);

  useEffect(() => {
    if (ui.stage === 'confirmed') {
      pub.start(input);
      dispatch({ type: 'started' });
    }
  }, [ui.stage]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.leave === 'back') onBack();
    if (ui.leave === 'done') {
      if (pub.state.status === 'done' && pub.state.output) onDone(`${pub.state.output.version} published and active`);
      onBack();
    }
  }, [ui.leave]); // eslint-disable-line react-hooks/exhaustive-deps

  // Read at key time, not from the handler's closure: a key can arrive after the frame is drawn but
  // before Ink re-attaches the new handler.
  const live = useRef({ canConfirm, finished });
  live.current = { canConfirm, finished };
  useInput(
    (chars, key) => {
      // One action per key, even when several arrive in one chunk.
      const keys = key.return || key.escape || key.upArrow || key.downArrow ? [chars] : [...chars];
      for (const c of keys) dispatch({ type: 'key', input: c, escape: key.escape, enter: key.return, ...live.current });
    },
    { isActive },
  );

  const w = Math.min(columns, 80);
  const header = (
    <Text bold color={theme.accent}>
      Publish{p ? ` run ${p.run} as ${p.version}` : ''}
    </Text>
  );
  if (plan.state.status === 'failed' || plan.state.status === 'cancelled') {
    return (
      <Box flexDirection="column" width={w}>
        {header}
        <Text color={theme.error}>{plan.state.error?.message ?? 'Cancelled.'}</Text>
        {plan.state.error?.hint ? <Text>→ {plan.state.error.hint}</Text> : null}
        <Text dimColor>esc back</Text>
      </Box>
    );
  }
  if (!planned) {
    return (
      <Box flexDirection="column" width={w}>
        {header}
        <Text>Reading the model, its metrics and thresholds, and the registry…</Text>
      </Box>
    );
  }
  const cur = p.current;
  const col = 12;
  return (
    <Box flexDirection="column" width={w}>
      {header}
      <Text>
        {'metric'.padEnd(16)}
        {(cur ? `now ${cur.version}` : 'now: none').padEnd(col)}
        {`new ${p.version}`.padEnd(col)}change
      </Text>
      {ROWS.map((r) => (
        <Text key={r.label}>
          {r.label.padEnd(16)}
          {(cur ? fmt(r.get(cur)) : '–').padEnd(col)}
          {fmt(r.get(p.next)).padEnd(col)}
          <Delta before={cur ? r.get(cur) : undefined} after={r.get(p.next)} higherIsBetter={r.higherIsBetter} />
        </Text>
      ))}
      {p.labelsChanged ? <Text color={theme.warn}>The label list changes ({p.next.labels} labels): the app must use the new label_map.json.</Text> : null}
      {!p.evaluated ? <Text color={theme.warn}>Not evaluated: publishing with --force-unevaluated (recorded in the registry).</Text> : null}
      {pub.state.lines.slice(-4).map((l, i) => (
        <Text key={i} {...(l.type === 'warning' ? { color: theme.warn } : {})} wrap="truncate-end">
          {'message' in l && l.message ? l.message : l.type === 'artifact' ? `wrote ${l.path}` : ''}
        </Text>
      ))}
      {p.alreadyPublishedAs !== undefined ? (
        <Text color={theme.warn}>
          Already published as {p.alreadyPublishedAs}
          {cur?.version === p.alreadyPublishedAs ? ' (active)' : '; make it active from Versions'}. esc back
        </Text>
      ) : pub.state.status === 'idle' ? (
        <Text>
          Publish {p.version} and make it active? <Text bold>y</Text>/enter publish · <Text bold>n</Text>/esc back
        </Text>
      ) : pub.state.status === 'running' ? (
        <Text>Publishing…</Text>
      ) : pub.state.status === 'done' ? (
        <Text color={theme.ok}>
          {pub.state.output?.status === 'already-published' ? `Already published as ${pub.state.output.version}.` : `✔ ${pub.state.output?.version} is published and active.`} enter continue
        </Text>
      ) : (
        <>
          <Text color={theme.error}>{pub.state.error?.message ?? 'Cancelled.'}</Text>
          {pub.state.error?.hint ? <Text>→ {pub.state.error.hint}</Text> : null}
          <Text dimColor>esc back</Text>
        </>
      )}
    </Box>
  );
}
