import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect, useReducer, useRef } from 'react';
import type { Step } from '../src/core/step.js';
import { decimal, NO_VALUE } from '../src/core/text.js';
import { planDelta, planRows, planVerdict, publishPlanStep, type PlanRow, type PublishPlan } from '../src/registry/plan.js';
import { publishStep, type PublishResult, type PublishStepInput } from '../src/registry/publish.js';
import { useKeys } from './hooks/use-keys.js';
import { useStep } from './hooks/use-step.js';
import { PUBLISH_KEYS } from './keys/bindings.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/** Pure key reducer (every key is an action, so keys coalesced over SSH apply in order to the latest state). */
export interface PublishUi {
  /** review: showing old vs new; confirmed: the user said yes (the effect starts the publish). */
  stage: 'review' | 'confirmed' | 'started';
  leave: 'back' | 'done' | null;
}
export const initialPublishUi: PublishUi = { stage: 'review', leave: null };

export type PublishKey = 'yes' | 'enter' | 'no' | 'back';

export type PublishUiAction = { type: 'key'; key: PublishKey; canConfirm: boolean; finished: boolean } | { type: 'started' };

export function publishUiReducer(s: PublishUi, a: PublishUiAction): PublishUi {
  if (s.leave) return s;
  if (a.type === 'started') return { ...s, stage: 'started' };
  if (s.stage === 'review') {
    if (a.key === 'back' || a.key === 'no') return { ...s, leave: 'back' };
    if (a.canConfirm && (a.key === 'enter' || a.key === 'yes')) return { ...s, stage: 'confirmed' };
    return s;
  }
  // While publishing, keys wait; afterwards any of enter/esc/q leaves.
  if (a.finished && (a.key === 'enter' || a.key === 'back')) return { ...s, leave: 'done' };
  return s;
}

export interface PublishScreenProps extends ScreenProps {
  model?: string;
  forceUnevaluated?: boolean;
  /** Tests pass their own steps. */
  planStep?: Step<PublishStepInput, PublishPlan>;
  publishStep?: Step<PublishStepInput, PublishResult>;
}


function Delta({ row }: { row: PlanRow }) {
  const text = planDelta(row);
  if (!text) return <Text> </Text>;
  const good = row.higherIsBetter === null ? undefined : text.startsWith('+') === row.higherIsBetter;
  return <Text {...(good === undefined ? {} : { color: good ? theme.ok : theme.error })}>{text}</Text>;
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
  const verdict = planned ? planVerdict(p) : undefined;
  const canConfirm = verdict !== undefined && verdict.kind !== 'nothing';
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
  useKeys(PUBLISH_KEYS, (key) => dispatch({ type: 'key', key, ...live.current }), { isActive });

  const w = Math.min(columns, 80);
  const header = (
    <Text bold color={theme.accent}>
      Publish{p ? ` run ${p.run} as ${p.version}${p.alreadyPublishedAs !== undefined ? ' (already published)' : ''}` : ''}
    </Text>
  );
  if (plan.state.status === 'failed' || plan.state.status === 'cancelled') {
    return (
      <Box flexDirection="column" width={w}>
        {header}
        <StepError state={plan.state} />
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
      {planRows(p).map((r) => (
        <Text key={r.label}>
          {r.label.padEnd(16)}
          {(cur ? decimal(r.now) : NO_VALUE).padEnd(col)}
          {decimal(r.next).padEnd(col)}
          <Delta row={r} />
        </Text>
      ))}
      {p.variants.length > 1 ? (
        <>
          <Text>{'model file'.padEnd(16)}{'top-1'.padEnd(7)}{'top-3'.padEnd(7)}{'ECE'.padEnd(7)}{'size'.padEnd(10)}ms/img</Text>
          {p.variants.map((v) => (
            <Text key={v.name} {...(v.name === p.variant.name ? { bold: true } : {})}>
              {`${v.name === p.variant.name ? '▸ ' : '  '}${v.name}`.padEnd(16)}
              {decimal(v.top1).padEnd(7)}
              {decimal(v.top3).padEnd(7)}
              {decimal(v.ece).padEnd(7)}
              {`${(v.size_bytes / 1e6).toFixed(2)} MB`.padEnd(10)}
              {decimal(v.ms_per_image, 1)}
            </Text>
          ))}
          <Text dimColor wrap="truncate-end">▸ ships (metrics above are its own); another: edgewise publish --variant NAME</Text>
        </>
      ) : null}
      {p.labelsChanged ? <Text color={theme.warn}>The label list changes ({p.next.labels} labels): the app must use the new label_map.json.</Text> : null}
      {!p.evaluated ? <Text color={theme.warn}>Not evaluated: publishing with --force-unevaluated (recorded in the registry).</Text> : null}
      {pub.state.lines.slice(-4).map((l, i) => (
        <Text key={i} {...(l.type === 'warning' ? { color: theme.warn } : {})} wrap="truncate-end">
          {'message' in l && l.message ? l.message : l.type === 'artifact' ? `wrote ${l.path}` : ''}
        </Text>
      ))}
      {verdict?.kind === 'nothing' ? (
        <Text color={theme.warn} wrap="wrap">
          {verdict.text} esc back
        </Text>
      ) : pub.state.status === 'idle' ? (
        <>
          <Text wrap="wrap">{verdict?.text}</Text>
          <Text>
            {verdict?.kind === 'reactivate' ? `Make ${p.version} active again?` : `Publish ${p.version} and make it active?`} <Text bold>y</Text>/enter publish · <Text bold>n</Text>/esc back
          </Text>
        </>
      ) : pub.state.status === 'running' ? (
        <Text>Publishing…</Text>
      ) : pub.state.status === 'done' ? (
        <Text color={theme.ok}>
          {pub.state.output?.status === 'already-published'
            ? `Already published as ${pub.state.output.version}.`
            : pub.state.output?.status === 'reactivated'
              ? `✔ ${pub.state.output.version} is active again.`
              : `✔ ${pub.state.output?.version} is published and active.`}{' '}
          enter continue
        </Text>
      ) : (
        <>
          <StepError state={pub.state} />
          <Text dimColor>esc back</Text>
        </>
      )}
    </Box>
  );
}
