import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useContext, useEffect, useMemo, useReducer, type ReactNode } from 'react';
import type { Step } from '../src/core/step.js';
import { formatBytes } from '../src/core/progress.js';
import type { Cluster } from '../src/validate/clusters.js';
import { previewStep as defaultPreviewStep, type PreviewImage, type PreviewInput } from '../src/images/image-preview.js';
import type { ReportImage, ValidationReport } from '../src/validate/validate-report.js';
import { validateStep as defaultValidateStep, VALIDATE_METRICS, type ValidateInput, type ValidateOutput } from '../src/validate/validate-step.js';
import { HelpBar, HelpKeyContext, helpBarLines } from './components/help-bar.js';
import { ImagePreview } from './components/image-preview.js';
import { ProgressLine } from './components/progress-bar.js';
import { clampOffset, scrollReducer } from './components/scroll-state.js';
import { scrollPosition } from './components/scroll-box.js';
import { wrapWords } from './components/wrap.js';
import { useKeys } from './hooks/use-keys.js';
import { VALIDATE_KEYS } from './keys/bindings.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/**
 * The validate screen. A dry run first (live bars for scan, decode+hash and index, finding counters that
 * climb), then a review list of duplicate clusters, conflicts first, with each member's path, label, size
 * and distance and a half-block preview of the selected member beside the kept one. Space flips keep/drop;
 * Enter writes report.json and the cleaned manifest with those overrides (a second run: the hash cache
 * makes it quick). Keys only dispatch reducer actions; effects start steps and leave.
 */
export interface ValidateUiState {
  /** The clusters under review, in review order (set when the dry run finishes). */
  clusters: Cluster[];
  /** The dry run finished: Enter may write. */
  loaded: boolean;
  cursor: number;
  member: number;
  overrides: Record<string, 'keep' | 'drop'>;
  written: boolean;
  /** Counters: each increment asks an effect to act once. */
  writes: number;
  continues: number;
  back: boolean;
  /** f: the list of findings (file, line, what is wrong) instead of the cluster review. */
  findings: boolean;
  /** First line of the findings list shown (↑↓ scroll it while it is open). */
  findingsOffset: number;
}

export type ValidateUiAction =
  | { type: 'loaded'; clusters: Cluster[] }
  | { type: 'move'; delta: number; /** the findings list's wrapped lines and visible height, for scrolling it */ findingsTotal?: number; findingsHeight?: number }
  | { type: 'member'; delta: number }
  | { type: 'toggle' }
  | { type: 'enter' }
  | { type: 'written' }
  | { type: 'reset' }
  | { type: 'findings' }
  | { type: 'back' };

export const initialValidateUi: ValidateUiState = { clusters: [], loaded: false, cursor: 0, member: 0, overrides: {}, written: false, writes: 0, continues: 0, back: false, findings: false, findingsOffset: 0 };

/** Every key is one of these actions, applied to the latest state (keys arrive coalesced over SSH). */
export function validateUiReducer(s: ValidateUiState, a: ValidateUiAction): ValidateUiState {
  switch (a.type) {
    case 'loaded':
      return { ...s, clusters: a.clusters, loaded: true, cursor: Math.min(s.cursor, Math.max(0, a.clusters.length - 1)), member: 0 };
    case 'move': {
      if (s.findings) {
        const total = a.findingsTotal ?? 0;
        const height = a.findingsHeight ?? 1;
        return { ...s, findingsOffset: scrollReducer({ offset: s.findingsOffset }, { type: 'line', delta: a.delta, total, height }).offset };
      }
      if (s.clusters.length === 0) return s;
      const cursor = Math.max(0, Math.min(s.clusters.length - 1, s.cursor + a.delta));
      return cursor === s.cursor ? s : { ...s, cursor, member: 0 };
    }
    case 'member': {
      const n = s.clusters[s.cursor]?.members.length ?? 0;
      if (n === 0) return s;
      return { ...s, member: Math.max(0, Math.min(n - 1, s.member + a.delta)) };
    }
    case 'toggle': {
      const c = s.clusters[s.cursor];
      const m = c?.members[s.member];
      if (!c || !m || s.written) return s;
      return { ...s, overrides: { ...s.overrides, [m.image]: memberKept(c, m.image, s.overrides) ? 'drop' : 'keep' } };
    }
    case 'reset':
      return s.written ? s : { ...s, overrides: {} };
    case 'enter':
      if (!s.loaded) return s;
      return s.written ? { ...s, continues: s.continues + 1 } : { ...s, writes: s.writes + 1 };
    case 'written':
      return { ...s, written: true };
    case 'findings':
      return { ...s, findings: !s.findings, findingsOffset: 0 };
    case 'back':
      // Esc leaves the findings list first, then the screen.
      return s.findings ? { ...s, findings: false } : { ...s, back: true };
  }
}

/** Clusters in review order: label conflicts, then split leaks, then exact groups, then near duplicates. */
export function reviewOrder(clusters: readonly Cluster[]): Cluster[] {
  const rank = (c: Cluster): number => (c.labelConflict ? 0 : c.splitLeak ? 1 : c.kind === 'exact' ? 2 : 3);
  return [...clusters].sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1));
}

/** Is this member kept once the overrides apply? */
export function memberKept(c: Cluster, image: string, overrides: Record<string, 'keep' | 'drop'>): boolean {
  return (overrides[image] ?? (c.members.find((m) => m.image === image)?.kept ? 'keep' : 'drop')) === 'keep';
}

export interface ValidateScreenProps extends ScreenProps {
  step?: Step<ValidateInput, ValidateOutput>;
  preview?: Step<PreviewInput, PreviewImage[]>;
  /** Draw previews in colour (default: unless NO_COLOR / FORCE_COLOR=0). */
  color?: boolean;
}

const fit = (s: string, w: number): string => (s.length > w ? '…' + s.slice(s.length - w + 1) : s.padEnd(w));

export default function ValidateScreen({ ctx, isActive, columns, rows, onBack, onDone, step, preview, color }: ValidateScreenProps) {
  const theStep = step ?? defaultValidateStep;
  const dry = useStep(theStep, ctx);
  const write = useStep(theStep, ctx);
  const pv = useStep(preview ?? defaultPreviewStep, ctx);
  const [ui, dispatch] = useReducer(validateUiReducer, initialValidateUi);
  const useColor = color ?? (process.env.FORCE_COLOR !== '0' && !process.env.NO_COLOR);

  const report: ValidationReport | undefined = dry.state.output?.report;
  const images = useMemo(() => new Map<string, ReportImage>((report?.images ?? []).map((i) => [i.image, i])), [report]);
  const clusters = ui.clusters;
  const cluster = clusters[ui.cursor];
  const member = cluster?.members[ui.member];
  // The picture to compare with: the kept member (or, when the selection is the kept one, the next member).
  const other = cluster && member ? cluster.members.find((m) => m.image !== member.image && memberKept(cluster, m.image, ui.overrides)) ?? cluster.members.find((m) => m.image !== member.image) : undefined;
  const written = write.state.status === 'done' || write.state.status === 'skipped';

  // The findings list: each finding word-wrapped to the width (a long path or message is never cut), scrolled.
  const width = Math.max(40, columns);
  const findingLines = useMemo(() => {
    if (!report) return [];
    const all = [...report.errors.map((f) => ({ ...f, severity: 'error' as const })), ...report.warnings.map((f) => ({ ...f, severity: 'warning' as const }))];
    return all.flatMap((f) =>
      wrapWords(`${f.severity === 'error' ? '✖' : '!'} ${f.item}${f.line ? `:${f.line}` : ''} ${f.message.replace(/^line \d+: /, '')}`, width - 1, '  ').map((text) => ({ text, severity: f.severity })),
    );
  }, [report, width]);
  const reviewBar = { review: true, written };
  // A narrow terminal puts the key hints on two lines: the preview and the list give up the rows.
  const reviewHelpLines = helpBarLines(VALIDATE_KEYS, reviewBar, width, useContext(HelpKeyContext));
  // Title, summary, error codes, a blank line, the position line, a blank line, the status, the key lines.
  const findingsHeight = Math.max(3, rows - 9 - reviewHelpLines);
  const move = (delta: number) => dispatch({ type: 'move', delta, findingsTotal: findingLines.length, findingsHeight });

  useKeys(
    VALIDATE_KEYS,
    (action) => {
      if (action === 'up' || action === 'down') move(action === 'up' ? -1 : 1);
      else if (action === 'prev' || action === 'next') dispatch({ type: 'member', delta: action === 'prev' ? -1 : 1 });
      else dispatch({ type: action });
    },
    { isActive },
  );

  useEffect(() => {
    if (report) dispatch({ type: 'loaded', clusters: reviewOrder(report.clusters) });
  }, [report]);
  useEffect(() => {
    if (written) dispatch({ type: 'written' });
  }, [written]);
  useEffect(() => {
    dry.start({ dryRun: true });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.writes > 0) write.start({ overrides: ui.overrides });
  }, [ui.writes]); // eslint-disable-line react-hooks/exhaustive-deps
  useCancelOnBack(ui.back, onBack, dry, write, pv);
  useEffect(() => {
    if (written && write.state.output) {
      const s = write.state.output.summary;
      onDone(`${s.kept} kept, ${s.dropped} duplicates dropped, ${s.errors} errors`);
    }
  }, [write.state.status]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.continues > 0) onBack();
  }, [ui.continues]); // eslint-disable-line react-hooks/exhaustive-deps

  const half = Math.floor((width - 2) / 2);
  const previewRows = Math.max(3, Math.min(10, rows - 18 - (reviewHelpLines - 1)));
  useEffect(() => {
    if (member) pv.start({ images: [member.image, ...(other ? [other.image] : [])], width: Math.min(half, 40), height: previewRows * 2 });
  }, [member?.image, other?.image, half, previewRows]); // eslint-disable-line react-hooks/exhaustive-deps

  const counters = VALIDATE_METRICS.map((name) => {
    const series = dry.state.metrics[name];
    return [name, series?.[series.length - 1]?.value ?? 0] as const;
  });
  const title = (
    <Text bold color={theme.accent}>
      Validate and deduplicate
    </Text>
  );

  // Running (or failed) dry run: bars and counters.
  if (!report) {
    let status: ReactNode = <Text dimColor>Starting…</Text>;
    if (dry.state.status === 'running') status = <Text dimColor>Checking every image; nothing is written until you confirm.</Text>;
    if (dry.state.status === 'failed' || dry.state.status === 'cancelled') {
      status = <StepError state={dry.state} cancelled="Cancelled: nothing was written." />;
    }
    const phases = ['scan', 'hash', 'index'];
    return (
      <Box flexDirection="column" width={width}>
        {title}
        {phases.map((ph) => {
          const p = dry.state.phases.find((x) => x.phase === ph)?.progress;
          return p ? (
            <ProgressLine key={ph} progress={p} width={width} label={ph === 'hash' ? 'dec+hash' : ph} />
          ) : (
            <Text key={ph} dimColor>
              {(ph === 'hash' ? 'dec+hash' : ph).padEnd(10)} waiting
            </Text>
          );
        })}
        <Box marginTop={1}>
          {counters.map(([name, v]) => (
            <Text key={name} color={v > 0 ? (name === 'errors' || name === 'conflicts' ? theme.error : theme.warn) : undefined}>
              {name} {v}
              {'   '}
            </Text>
          ))}
        </Box>
        <Box marginTop={1}>{status}</Box>
        <HelpBar columns={width} table={VALIDATE_KEYS} state={{ review: false, written: false }} />
      </Box>
    );
  }

  const s = report.summary;
  const listRows = Math.max(2, Math.min(clusters.length, rows - previewRows - 14 - (reviewHelpLines - 1)));
  const top = Math.max(0, Math.min(ui.cursor - Math.floor(listRows / 2), clusters.length - listRows));
  const shownClusters = clusters.slice(top, top + listRows);
  const errorCodes = new Map<string, number>();
  for (const e of report.errors) errorCodes.set(e.code, (errorCodes.get(e.code) ?? 0) + 1);
  const pixels = (image: string | undefined) => (image ? pv.state.output?.find((p) => p.image === image) : undefined);

  let status: ReactNode;
  if (write.state.status === 'running') status = <Text color={theme.accent}>Writing report.json and the cleaned manifest…</Text>;
  else if (written && write.state.output) {
    const o = write.state.output;
    status = (
      <Text color={theme.ok} wrap="truncate-end">
        ✔ Wrote {ctx.workspace.rel(o.cleanManifestPath)} ({o.summary.kept} images) and {ctx.workspace.rel(o.reportPath)} · ⏎ back to steps
      </Text>
    );
  } else if (write.state.status === 'failed' || write.state.status === 'cancelled') {
    status = <StepError state={write.state} cancelled="Cancelled: nothing was written." />;
  } else {
    const n = Object.keys(ui.overrides).length;
    status = <Text dimColor>{n > 0 ? `${n} override${n === 1 ? '' : 's'} · ` : ''}⏎ writes report.json and the cleaned manifest</Text>;
  }

  return (
    <Box flexDirection="column" width={width}>
      {title}
      <Text wrap="truncate-end">
        {s.images} images · <Text color={s.errors ? theme.error : theme.ok}>{s.errors} errors</Text> · <Text color={s.warnings ? theme.warn : undefined}>{s.warnings} warnings</Text> · {s.exactClusters} exact + {s.nearClusters} near clusters · {s.labelConflicts} conflicts · {s.hashed} hashed, {s.cached} cached
      </Text>
      {report.errors.length > 0 ? (
        <Text color={theme.error} wrap="truncate-end">
          ✖ {[...errorCodes.entries()].map(([c, n]) => `${c}×${n}`).join(', ')} · f lists them
        </Text>
      ) : null}
      {ui.findings ? (
        <Box flexDirection="column" marginTop={1}>
          {findingLines.length === 0 ? <Text color={theme.ok}>✔ No errors or warnings.</Text> : null}
          {findingLines.slice(clampOffset(ui.findingsOffset, findingLines.length, findingsHeight), clampOffset(ui.findingsOffset, findingLines.length, findingsHeight) + findingsHeight).map((l, i) => (
            <Text key={i} color={l.severity === 'error' ? theme.error : theme.warn}>
              {l.text}
            </Text>
          ))}
          {findingLines.length > findingsHeight ? (
            <Text dimColor wrap="truncate-end">
              {scrollPosition(ui.findingsOffset, findingsHeight, findingLines.length)} · ↑↓ scroll · all of them in {ctx.workspace.rel(ctx.workspace.reportPath)}
            </Text>
          ) : null}
        </Box>
      ) : (
        <>
      {clusters.length === 0 ? (
        <Text color={theme.ok}>✔ No duplicates or label conflicts.</Text>
      ) : (
        <Box flexDirection="column" marginTop={1}>
          {shownClusters.map((c, i) => {
            const idx = top + i;
            const sel = idx === ui.cursor;
            const tag = c.labelConflict ? 'conflict' : c.splitLeak ? 'leak' : c.kind;
            const labels = [...new Set(c.members.map((m) => m.label))].join('/');
            const maxD = Math.max(...c.members.map((m) => m.distance));
            return (
              <Text key={c.id} color={sel ? theme.accent : c.labelConflict ? theme.error : undefined} wrap="truncate-end">
                {sel ? '❯ ' : '  '}
                {tag.padEnd(9)}
                {String(c.members.length).padStart(2)} images  {fit(labels, 18)} d≤{maxD}  {c.members[0]!.image}
              </Text>
            );
          })}
          {clusters.length > listRows ? <Text dimColor>  {ui.cursor + 1}/{clusters.length} clusters</Text> : null}
        </Box>
      )}
      {cluster ? (
        <Box flexDirection="column" marginTop={1}>
          {cluster.members.slice(0, 6).map((m, i) => {
            const info = images.get(m.image);
            const kept = memberKept(cluster, m.image, ui.overrides);
            const overridden = ui.overrides[m.image] !== undefined;
            return (
              <Text key={m.image} color={i === ui.member ? theme.accent : undefined} wrap="truncate-end">
                {i === ui.member ? '▸ ' : '  '}
                <Text color={kept ? theme.ok : theme.warn}>{kept ? 'keep' : 'drop'}</Text>
                {overridden ? '*' : ' '} {fit(m.image, Math.max(12, width - 44))} {fit(m.label, 10)} {`${info?.width ?? '?'}x${info?.height ?? '?'}`.padStart(9)} {(info?.bytes === undefined ? '?' : formatBytes(info.bytes)).padStart(7)} d={m.distance}
              </Text>
            );
          })}
          {cluster.members.length > 6 ? <Text dimColor>  … {cluster.members.length - 6} more (←→ to reach them)</Text> : null}
        </Box>
      ) : null}
      {member ? (
        <Box marginTop={1}>
          <ImagePreview pixels={pixels(member.image)} color={useColor} caption={`▸ ${member.image}`} width={half} />
          <Box width={2} />
          {other ? <ImagePreview pixels={pixels(other.image)} color={useColor} caption={`${memberKept(cluster!, other.image, ui.overrides) ? 'kept' : 'other'}: ${other.image}`} width={half} /> : null}
        </Box>
      ) : null}
        </>
      )}
      <Box marginTop={1}>{status}</Box>
      <HelpBar columns={width} table={VALIDATE_KEYS} state={reviewBar} />
    </Box>
  );
}
