import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect, useReducer, useRef } from 'react';
import type { Step } from '../src/core/step.js';
import { decimal, NO_VALUE } from '../src/core/text.js';
import { rollbackStep, type RollbackResult } from '../src/registry/rollback.js';
import { describeSavedVsLive } from '../src/registry/saved-vs-live.js';
import { versionsStep, type VersionsResult } from '../src/registry/versions.js';
import { HelpBar } from './components/help-bar.js';
import { useKeys } from './hooks/use-keys.js';
import { useStep } from './hooks/use-step.js';
import { VERSIONS_KEYS } from './keys/bindings.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/** Pure key reducer (every key is an action, so keys coalesced over SSH apply in order to the latest state). */
export interface VersionsUi {
  /** The selected version by name (null: the active one), so a reload never moves the selection. */
  selected: string | null;
  /** Version awaiting y/n. */
  confirming: string | null;
  /** Version the effect should roll back to. */
  requested: string | null;
  leave: boolean;
}
export const initialVersionsUi: VersionsUi = { selected: null, confirming: null, requested: null, leave: false };

type Listed = Array<{ version: string; active: boolean }>;

/** Index of the selected row in `versions` (the active row, else the first, when nothing is selected). */
export function selectedIndex(s: VersionsUi, versions: Listed): number {
  const i = s.selected === null ? versions.findIndex((v) => v.active) : versions.findIndex((v) => v.version === s.selected);
  return Math.max(0, i);
}

export type VersionsKey = 'up' | 'down' | 'rollback' | 'enter' | 'yes' | 'no' | 'back';

export type VersionsUiAction = { type: 'key'; key: VersionsKey; versions: Listed; busy: boolean } | { type: 'started' };

export function versionsUiReducer(s: VersionsUi, a: VersionsUiAction): VersionsUi {
  if (s.leave) return s;
  if (a.type === 'started') return { ...s, requested: null };
  const k = a.key;
  if (s.confirming) {
    if (k === 'yes' || k === 'enter') return { ...s, requested: s.confirming, confirming: null };
    if (k === 'no' || k === 'back') return { ...s, confirming: null };
    return s;
  }
  if (k === 'back') return { ...s, leave: true };
  if (a.busy || a.versions.length === 0) return s;
  const i = selectedIndex(s, a.versions);
  const move = (j: number): VersionsUi => ({ ...s, selected: a.versions[Math.min(a.versions.length - 1, Math.max(0, j))]!.version });
  if (k === 'up') return move(i - 1);
  if (k === 'down') return move(i + 1);
  if (k === 'enter' || k === 'rollback') {
    const v = a.versions[i];
    if (v && !v.active) return { ...s, confirming: v.version };
  }
  return s;
}

export interface VersionsScreenProps extends ScreenProps {
  /** Tests pass their own steps. */
  listStep?: Step<Record<string, never>, VersionsResult>;
  rollbackStep?: Step<{ to?: string }, RollbackResult>;
}


/** Published versions (newest first), the active one marked; r/enter rolls back to the selected one after y. */
export default function VersionsScreen(props: VersionsScreenProps) {
  const { ctx, isActive, columns, rows, onBack, onDone } = props;
  const list = useStep(props.listStep ?? versionsStep, ctx);
  const rb = useStep(props.rollbackStep ?? rollbackStep, ctx);
  const [ui, dispatch] = useReducer(versionsUiReducer, initialVersionsUi);

  useEffect(() => {
    list.start({});
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const versions = [...(list.state.output?.versions ?? [])].reverse();
  useEffect(() => {
    if (ui.requested) {
      rb.start({ to: ui.requested });
      dispatch({ type: 'started' });
    }
  }, [ui.requested]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    // After a rollback (done or refused) the list is re-read: it is what the registry says now.
    if (rb.state.status === 'done' || rb.state.status === 'failed') list.start({});
  }, [rb.state.status]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!ui.leave) return;
    // onDone only refreshes the home status; leaving is onBack's (calling onDone alone left the screen
    // deaf: `leave` set, nothing navigated away).
    if (rb.state.status === 'done' && rb.state.output) onDone(`rolled back to ${rb.state.output.version}`);
    onBack();
  }, [ui.leave]); // eslint-disable-line react-hooks/exhaustive-deps

  const busy = rb.state.status === 'running' || list.state.status === 'running';
  // Read at key time (a key can arrive before Ink re-attaches the handler of the latest render).
  const live = useRef({ versions, busy });
  live.current = { versions, busy };
  useKeys(VERSIONS_KEYS, (key) => dispatch({ type: 'key', key, ...live.current }), { isActive });

  const w = columns;
  const title = <Text bold color={theme.accent}>Versions</Text>;
  if (list.state.status === 'failed' || list.state.status === 'cancelled') {
    return (
      <Box flexDirection="column" width={w}>
        {title}
        <StepError state={list.state} />
        <Text dimColor>esc back</Text>
      </Box>
    );
  }
  const out = list.state.output;
  if (!out) {
    return (
      <Box flexDirection="column" width={w}>
        {title}
        <Text>Reading the registry…</Text>
      </Box>
    );
  }
  // Window the list around the cursor: the header, details, status and help need ~9 lines, the
  // saved-thresholds note (wrapped) up to 2 more.
  const room = Math.max(3, rows - 9 - (out.savedNotLive ? Math.ceil((describeSavedVsLive(out.savedNotLive).length + 2) / Math.max(1, w)) : 0));
  const cursor = selectedIndex(ui, versions);
  const start = Math.max(0, Math.min(cursor - Math.floor(room / 2), versions.length - room));
  const shown = versions.slice(start, start + room);
  const sel = versions[cursor];
  return (
    <Box flexDirection="column" width={w}>
      <Text wrap="truncate-end">
        {title} <Text dimColor>{out.registry}</Text>
      </Text>
      {versions.length === 0 ? <Text>No versions published yet: publish one first.</Text> : null}
      {versions.length > 0 ? <Text dimColor wrap="truncate-end">{'   version  published         top1   ECE    tau    margin  run'}</Text> : null}
      {shown.map((v, i) => {
        const at = start + i === cursor;
        return (
          <Text key={v.version} inverse={at} wrap="truncate-end">
            {at ? '›' : ' '}
            {v.active ? '*' : ' '} {(v.version + (v.unevaluated ? '!' : '')).padEnd(8)} {(v.created_at ?? NO_VALUE).slice(0, 16).replace('T', ' ').padEnd(17)} {decimal(v.metrics?.top1).padEnd(6)} {decimal(v.metrics?.ece).padEnd(6)} {decimal(v.thresholds?.tau).padEnd(6)} {decimal(v.thresholds?.margin).padEnd(7)} {v.source_run ?? NO_VALUE}
          </Text>
        );
      })}
      {sel ? (
        <Text dimColor wrap="truncate-end">
          {sel.version}: by {sel.published_by ?? 'hand (seed INSERT)'} · coverage {decimal(sel.metrics?.coverage)} · T {decimal(sel.thresholds?.temperature)} · sha256 {(sel.tflite_sha256 ?? NO_VALUE).slice(0, 12)}
        </Text>
      ) : null}
      {out.savedNotLive ? (
        <Text color={theme.warn} wrap="wrap">
          ! {describeSavedVsLive(out.savedNotLive)}
        </Text>
      ) : null}
      {out.public.problems.map((pr) => (
        <Text key={pr} color={theme.warn} wrap="truncate-end">
          ! {pr}
        </Text>
      ))}
      {ui.confirming ? (
        <Text>
          Roll back to {ui.confirming} (now {out.active ?? 'none'})? <Text bold>y</Text> yes · <Text bold>n</Text> no
        </Text>
      ) : rb.state.status === 'running' ? (
        <Text>Restoring files from the registry artifacts…</Text>
      ) : rb.state.status === 'done' ? (
        <Text color={theme.ok}>✔ {rb.state.output?.version} is active again (was {rb.state.output?.from ?? 'none'}).</Text>
      ) : rb.state.status === 'failed' ? (
        <StepError state={rb.state} />
      ) : (
        <Text> </Text>
      )}
      <HelpBar columns={w} table={VERSIONS_KEYS} state={undefined} />
    </Box>
  );
}
