import { Box, Static, useInput, type Key } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect, useReducer, useRef, useState } from 'react';
import type { StepEvent } from '../src/core/events.js';
import { formatDuration } from '../src/core/progress.js';
import type { Step } from '../src/core/step.js';
import { NO_VALUE } from '../src/core/text.js';
import type { PipelineState } from '../src/cloud/vertex.js';
import { vertexCancelStep as defaultCancelStep, type CancelOutput } from '../src/train/vertex/cancel-step.js';
import { vertexTrainStep as defaultTrainStep, type VertexTrainInput, type VertexTrainOutput } from '../src/train/vertex/pipeline-step.js';
import { trainingCost, wouldStartPipeline } from '../src/train/vertex/cost.js';
import { readPipeline } from '../src/train/vertex/resources.js';
import { vertexWatchStep as defaultWatchStep, type PipelineStatusData, type WatchInput, type WatchOutput } from '../src/train/vertex/watch.js';
import { HelpBar } from './components/help-bar.js';
import { UrlLine } from './components/url-line.js';
import { VERTEX_TRAIN_KEYS } from './keys/bindings.js';
import { keyActions } from './keys/key-table.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/**
 * The Vertex training status pane: a live header (state, elapsed, node hours used of the budget, console
 * link), a timeline of transitions and messages kept in <Static>, and keys to detach (stop watching; the
 * pipeline goes on and `edgewise watch` reattaches) or cancel the pipeline (after a y/n confirmation).
 * Opening the screen while the journal holds a running pipeline reattaches to it at once. When Vertex could
 * not import some images (listed in the timeline by name), it asks before training without them.
 */
export interface PaneUi {
  starts: number;
  /** Asking whether to start a (billed) training; `confirmedStarts` counts the yes answers. */
  askingStart: boolean;
  confirmedStarts: number;
  declined: boolean;
  detaches: number;
  cancels: number;
  confirming: boolean;
  /** Asking whether to train without the images Vertex could not import; `forcedStarts` counts the yeses. */
  askingMissing: boolean;
  forcedStarts: number;
  detached: boolean;
  back: boolean;
}

/** `enter` with `ask`: this ⏎ would start a new (billed) pipeline, so it asks first. */
export type PaneAction = { type: 'enter'; ask?: boolean } | { type: 'detach' } | { type: 'ask-cancel' } | { type: 'ask-missing' } | { type: 'yes' } | { type: 'no' } | { type: 'back' };

export const initialPaneUi: PaneUi = { starts: 0, askingStart: false, confirmedStarts: 0, declined: false, detaches: 0, cancels: 0, confirming: false, askingMissing: false, forcedStarts: 0, detached: false, back: false };

export function paneReducer(s: PaneUi, a: PaneAction): PaneUi {
  if (a.type === 'ask-missing') return { ...s, askingMissing: true };
  if (s.askingMissing) {
    // Only y trains without them; anything else stops here (fix the images, upload, train again).
    if (a.type === 'yes') return { ...s, askingMissing: false, forcedStarts: s.forcedStarts + 1 };
    return { ...s, askingMissing: false, back: a.type === 'back' };
  }
  if (s.askingStart) {
    // Only y starts a billed training; anything else (n, Esc, ⏎) leaves it unstarted.
    if (a.type === 'yes') return { ...s, askingStart: false, confirmedStarts: s.confirmedStarts + 1 };
    return { ...s, askingStart: false, declined: true, ...(a.type === 'back' ? { back: true } : {}) };
  }
  if (s.confirming) {
    // While asking, only y confirms; anything else (n, Esc, another key) keeps the pipeline.
    if (a.type === 'yes') return { ...s, confirming: false, cancels: s.cancels + 1 };
    return { ...s, confirming: false };
  }
  switch (a.type) {
    case 'enter':
      return a.ask ? { ...s, askingStart: true, detached: false, declined: false } : { ...s, starts: s.starts + 1, detached: false, declined: false };
    case 'detach':
      return { ...s, detaches: s.detaches + 1, detached: true };
    case 'ask-cancel':
      return { ...s, confirming: true };
    case 'back':
      return { ...s, back: true };
    default:
      return s;
  }
}

/** Keys → actions (VERTEX_TRAIN_KEYS); a chunk of several keys becomes several actions, in order. */
export function paneKeyActions(input: string, key: Partial<Key>): PaneAction[] {
  const out: PaneAction[] = [];
  for (const { action } of keyActions(VERTEX_TRAIN_KEYS, input, key)) {
    if (action === 'cancel') out.push({ type: 'ask-cancel' });
    else if (action) out.push({ type: action });
  }
  return out;
}

interface TimelineItem {
  key: number;
  time: string;
  text: string;
  tone: 'state' | 'log' | 'warn' | 'error' | 'link';
}

const hhmmss = (iso: string): string => new Date(iso).toISOString().slice(11, 19);

/**
 * Timeline lines for one event, stamped with the time they arrived so the timeline reads in order. A status
 * carries the API's own time for entering the state (e.g. the pipeline's startTime), which can be earlier than
 * lines already shown: it is said as "since HH:MM:SS" rather than used as the line's time. A `console: URL`
 * line becomes a line of its own holding the whole URL.
 */
export function timelineItems(e: StepEvent, nextKey: () => number, nowIso: string = new Date().toISOString()): TimelineItem[] {
  const time = hhmmss(nowIso);
  if (e.type === 'status') {
    const d = e.data as Partial<PipelineStatusData> | undefined;
    const at = d?.at ? Date.parse(d.at) : NaN;
    const since = Number.isFinite(at) && Date.parse(nowIso) - at >= 2000 ? ` (since ${hhmmss(d!.at!)})` : '';
    return [{ key: nextKey(), time, text: `${e.state}${since}${e.message && e.message !== e.state ? `  ${e.message}` : ''}`, tone: e.state === 'FAILED' ? 'error' : 'state' }];
  }
  if (e.type === 'log') {
    const [first, ...rest] = e.message.split('\n');
    const out: TimelineItem[] = [{ key: nextKey(), time, text: first!, tone: 'log' }];
    for (const line of rest) {
      const url = /^\s*console:\s*(https?:\/\/\S+)\s*$/.exec(line)?.[1];
      if (url) out.push({ key: nextKey(), time, text: url, tone: 'link' });
    }
    return out;
  }
  if (e.type === 'warning') return [{ key: nextKey(), time, text: `⚠ ${e.message}`, tone: 'warn' }];
  return [];
}

const STATE_COLOR: Partial<Record<PipelineState, string>> = { RUNNING: theme.accent, SUCCEEDED: theme.ok, FAILED: theme.error, CANCELLED: theme.warn, CANCELLING: theme.warn };

export interface TrainingStatusProps extends ScreenProps {
  trainStep?: Step<VertexTrainInput, VertexTrainOutput>;
  watchStep?: Step<WatchInput, WatchOutput>;
  cancelStep?: Step<Record<string, never>, CancelOutput>;
}

export default function TrainingStatusScreen({ ctx, isActive, columns, rows, onBack, onDone, trainStep, watchStep, cancelStep }: TrainingStatusProps) {
  const train = useStep(trainStep ?? defaultTrainStep, ctx);
  const watch = useStep(watchStep ?? defaultWatchStep, ctx);
  const cancel = useStep(cancelStep ?? defaultCancelStep, ctx);
  const [ui, dispatch] = useReducer(paneReducer, initialPaneUi);
  const [timeline, setTimeline] = useState<TimelineItem[]>([]);
  const seen = useRef({ train: 0, watch: 0, cancel: 0, key: 0 });
  const [now, setNow] = useState(Date.now());

  useInput(
    (input, key) => {
      const idle = train.state.status !== 'running' && watch.state.status !== 'running';
      // Decided when the key arrives, so "⏎y" typed ahead (one chunk over SSH) still asks, then answers.
      for (const a of paneKeyActions(input, key)) dispatch(a.type === 'enter' && idle && wouldStartPipeline(ctx.journal) ? { type: 'enter', ask: true } : a);
    },
    { isActive },
  );

  // Reattach at once when the journal holds a pipeline that has not ended.
  useEffect(() => {
    const rec = readPipeline(ctx.journal);
    if (rec && !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(rec.state)) watch.start({});
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.starts === 0) return;
    const active = train.state.status === 'running' || watch.state.status === 'running';
    if (!active) {
      if (watch.state.status === 'cancelled' || (train.state.status === 'cancelled' && readPipeline(ctx.journal))) watch.start({});
      else train.start({});
    }
  }, [ui.starts]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.confirmedStarts > 0) train.start({});
  }, [ui.confirmedStarts]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.detaches === 0) return;
    train.cancel();
    watch.cancel();
  }, [ui.detaches]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.cancels > 0) cancel.start({});
  }, [ui.cancels]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.forcedStarts > 0) train.start({}, { force: true });
  }, [ui.forcedStarts]); // eslint-disable-line react-hooks/exhaustive-deps
  const missingImages = train.state.status === 'failed' && train.state.error?.code === 'vertex.images_missing';
  useEffect(() => {
    if (missingImages) dispatch({ type: 'ask-missing' });
  }, [missingImages]);
  useCancelOnBack(ui.back, onBack, train, watch);

  // Append new lines from the three runs to one timeline (append-only, as <Static> needs).
  useEffect(() => {
    const add: TimelineItem[] = [];
    const take = (name: 'train' | 'watch' | 'cancel', lines: typeof train.state.lines) => {
      if (lines.length < seen.current[name]) seen.current[name] = 0; // the run restarted
      for (const l of lines.slice(seen.current[name])) add.push(...timelineItems(l, () => seen.current.key++));
      seen.current[name] = lines.length;
    };
    take('train', train.state.lines);
    take('watch', watch.state.lines);
    take('cancel', cancel.state.lines);
    if (add.length) setTimeline((t) => [...t, ...add]);
  }, [train.state.lines, watch.state.lines, cancel.state.lines]);

  const running = train.state.status === 'running' || watch.state.status === 'running';
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [running]);

  const finalOut = watch.state.output ?? train.state.output;
  useEffect(() => {
    if (finalOut?.state === 'SUCCEEDED') onDone(`${finalOut.pipeline.split('/').pop()} SUCCEEDED`);
  }, [finalOut?.state]); // eslint-disable-line react-hooks/exhaustive-deps

  // The header: the latest pipeline status seen from any run.
  const all = [...train.state.lines, ...watch.state.lines, ...cancel.state.lines];
  let head: Partial<PipelineStatusData> | undefined;
  for (const l of all) if (l.type === 'status' && l.data && 'pipeline' in l.data) head = l.data as Partial<PipelineStatusData>;
  const rec = head ? undefined : readPipeline(ctx.journal);
  const state = head?.state ?? rec?.state;
  const created = head?.createTime ?? rec?.createdAt;
  const ended = head?.endTime ?? rec?.endTime;
  const elapsed = created ? Math.max(0, ((ended ? Date.parse(ended) : now) - Date.parse(created)) / 1000) : undefined;
  const budget = head?.budgetMilliNodeHours ?? rec?.budgetMilliNodeHours ?? ctx.config.budgetMilliNodeHours;
  const cost = head?.costMilliNodeHours ?? rec?.costMilliNodeHours;
  const width = Math.max(40, columns);
  const consoleLink = head?.console ?? rec?.console;
  const errState = [train.state, watch.state, cancel.state].find((s) => s.status === 'failed');

  let footer;
  if (ui.askingMissing) {
    footer = (
      <Box flexDirection="column">
        <Text color={theme.warn} wrap="wrap">
          ⚠ {train.state.error?.message}
        </Text>
        <Text wrap="wrap">Train without them? y = train anyway · any other key = stop (fix those images, then Upload and train again)</Text>
      </Box>
    );
  } else if (ui.askingStart) {
    const cost = trainingCost(ctx.config);
    footer = (
      <Box flexDirection="column">
        <Text color={theme.warn}>Start Vertex AI training? It is billed per node hour.</Text>
        {cost.lines.map((l) => (
          <Text key={l} wrap="wrap">
            {'  '}
            {l}
          </Text>
        ))}
        <Text color={theme.warn}>y = start it · any other key = not now</Text>
      </Box>
    );
  } else if (ui.confirming) {
    footer = (
      <Text color={theme.warn} wrap="wrap">
        Cancel the training pipeline? Node hours used so far are still billed. y = cancel it · any other key = keep it
      </Text>
    );
  } else if (errState?.error) {
    footer = (
      <StepError state={errState} />
    );
  } else if (ui.detached && !running) {
    footer = (
      <Text color={theme.accent} wrap="wrap">
        Detached: the pipeline keeps running in Vertex AI. Reattach with `edgewise watch` or ⏎ here.
      </Text>
    );
  } else if (finalOut?.state === 'SUCCEEDED') footer = <Text color={theme.ok}>✔ Training finished. Next: Export (on the home screen, or edgewise export).</Text>;
  else if (ui.declined && !running) footer = <Text dimColor>Not started: nothing was created in Vertex AI. ⏎ asks again.</Text>;
  else if (!running && !state) footer = <Text dimColor>⏎ upload check, dataset, import and AutoML training ({ctx.config.modelType}, {budget / 1000} node hours)</Text>;
  else if (running) footer = <Text dimColor>Watching… d detaches (the pipeline keeps running), c cancels it.</Text>;

  const maxTimeline = Math.max(3, rows - 9);
  return (
    <Box flexDirection="column" width={width}>
      <Static items={timeline.slice(-maxTimeline * 4)}>
        {(it) =>
          it.tone === 'link' ? (
            <UrlLine key={it.key} url={it.text} />
          ) : (
            // Its own width: a whole URL line beside it must not widen the lines it shares <Static> with.
            <Box key={it.key} width={width}>
              <Text wrap="truncate-end" color={it.tone === 'warn' ? theme.warn : it.tone === 'error' ? theme.error : undefined} dimColor={it.tone === 'log'}>
                {it.time} {it.text}
              </Text>
            </Box>
          )
        }
      </Static>
      <Text bold color={theme.accent}>
        Vertex AI training
      </Text>
      <Text wrap="truncate-end">
        <Text bold color={state ? STATE_COLOR[state] : undefined}>
          {state ?? 'not started'}
        </Text>
        {elapsed !== undefined ? `  elapsed ${formatDuration(elapsed)}` : ''}
        {`  ${cost !== undefined ? (cost / 1000).toFixed(1) : NO_VALUE} of ${(budget / 1000).toFixed(0)} node hours`}
        {(head?.pipeline ?? rec?.name) ? `  ${(head?.pipeline ?? rec?.name)!.split('/').pop()}` : ''}
      </Text>
      {consoleLink ? consoleLink.length <= width ? <UrlLine url={consoleLink} dim /> : <Text dimColor>console: the link above, printed whole</Text> : null}
      <Box marginTop={1}>{footer}</Box>
      <HelpBar columns={width} table={VERTEX_TRAIN_KEYS} state={{ running, started: Boolean(state) }} />
    </Box>
  );
}
