import { Box } from 'ink';
import { Text } from '../components/text.js';
import { useContext, useEffect, useMemo, useReducer, useRef } from 'react';
import { HelpBar, HelpKeyContext, HelpNotesContext, helpBarLines } from '../components/help-bar.js';
import type { Step, StepContext } from '../../src/core/step.js';
import { ThresholdEngine } from '../../src/tune/engine.js';
import { gridValue } from '../../src/tune/grid.js';
import { fromPlain } from '../../src/tune/prepare.js';
import { describeSave, savePending, type SaveResult, type ThresholdsFile } from '../../src/tune/save.js';
import { publishCommand } from '../../src/tune/publish-command.js';
import type { TuneSession } from '../../src/tune/screen-steps.js';
import { meaningLine, thresholdsRecord, weakestLine, worstClasses } from '../../src/tune/step.js';
import { percent } from '../../src/core/text.js';
import { stepErrorLine } from '../components/step-error.js';
import { suggest } from '../../src/tune/suggest.js';
import { RiskCoverageChart } from '../components/risk-coverage-chart.js';
import { Slider } from '../components/slider.js';
import { ThresholdHeatmap } from '../components/threshold-heatmap.js';
import { useKeys } from '../hooks/use-keys.js';
import { useStep } from '../hooks/use-step.js';
import { TUNE_KEYS } from '../keys/bindings.js';
import { theme } from '../theme.js';
import { initialTuneState, tuneReducer, type TuneOracle } from './state.js';

export interface TuneViewProps {
  session: TuneSession;
  ctx: StepContext;
  isActive: boolean;
  columns: number;
  rows: number;
  target: number;
  maxFalseAccept?: number;
  saveStep: Step<ThresholdsFile, SaveResult>;
  onBack(): void;
  onDone(summary?: string): void;
  /** In the wizard: opens Publish after a save (`p`). Alone (`edgewise tune`), the publish command is printed. */
  onOpen?(id: string, props?: Record<string, unknown>): void;
}

const HEAT_STEP = 5; // heatmap cells every 0.05

/** Builds the engines once per loaded session (the only costly part; every key after is table look-ups). */
function useEngines(session: TuneSession) {
  return useMemo(() => {
    const neg = session.negatives ? { p1: Float64Array.from(session.negatives.p1), p2: Float64Array.from(session.negatives.p2) } : undefined;
    const tune = new ThresholdEngine(session.labels, fromPlain(session.tune), neg);
    const measure = session.measure ? new ThresholdEngine(session.labels, fromPlain(session.measure), neg) : tune;
    return { tune, measure };
  }, [session]);
}

/** The sliders, live numbers, chart, heatmap and worst classes for a loaded session. */
export function TuneView({ session, ctx, isActive, columns, rows, target, maxFalseAccept, saveStep, onBack, onDone, onOpen }: TuneViewProps) {
  const { tune, measure } = useEngines(session);
  const oracle = useMemo<TuneOracle>(
    () => ({
      suggest: (t) => {
        const s = suggest(tune, { targetAccuracy: t, ...(maxFalseAccept === undefined ? {} : { maxFalseAccept }) });
        return s ? { ti: s.ti, mi: s.mi, coverage: s.coverage } : undefined;
      },
    }),
    [tune, maxFalseAccept],
  );
  const reducer = useMemo(() => tuneReducer(oracle), [oracle]);
  const [ui, dispatch] = useReducer(reducer, undefined, () => {
    const start = session.saved ? { ti: Math.round(session.saved.tau * 100), mi: Math.round(session.saved.margin * 100) } : oracle.suggest(target) ?? { ti: 50, mi: 0 };
    return initialTuneState(start.ti, start.mi, target);
  });
  const save = useStep(saveStep, ctx);

  useKeys(TUNE_KEYS, (kind, press) => dispatch({ type: 'key', key: { kind, ch: press.input } }), {
    isActive,
    onOther: () => dispatch({ type: 'key', key: { kind: 'other' } }),
  });

  // Side effects follow the state, never the key handler: coalesced keys all land first.
  useEffect(() => {
    if (ui.status === 'back') onBack();
    if (ui.status === 'publish') onOpen?.('publish', { model: session.version });
  }, [ui.status]); // eslint-disable-line react-hooks/exhaustive-deps

  const tau = gridValue(ui.ti);
  const margin = gridValue(ui.mi);
  const cur = tune.at(tau, margin, { perClass: true });
  const held = measure === tune ? undefined : measure.at(tau, margin);
  const suggestion = useMemo(() => oracle.suggest(ui.target), [oracle, ui.target]);

  // `?` explains the two numbers with the values on screen.
  const setHelpNotes = useContext(HelpNotesContext);
  useEffect(() => {
    setHelpNotes([
      `tau ${tau.toFixed(2)}: the app answers only when the top probability is at least ${tau.toFixed(2)};`,
      `margin ${margin.toFixed(2)}: ...and only when it beats the runner-up's by at least ${margin.toFixed(2)}.`,
      `Otherwise it says "not sure". Now: ${percent(cur.coverage)} of ${session.tunedOn} answered, ${percent(cur.selectiveAccuracy)} of those right.`,
    ]);
  }, [tau, margin]); // eslint-disable-line react-hooks/exhaustive-deps

  const lastSave = useRef(0);
  useEffect(() => {
    if (ui.saveRequests === 0 || ui.saveRequests === lastSave.current) return;
    lastSave.current = ui.saveRequests;
    const m = measure.at(tau, margin);
    const fromTarget = suggestion && suggestion.ti === ui.ti && suggestion.mi === ui.mi;
    const record = thresholdsRecord(
      {
        version: session.version,
        tau,
        margin,
        temperature: session.temperature,
        ...(fromTarget ? { target: ui.target } : {}),
        ...(maxFalseAccept !== undefined && session.negatives ? { max_false_accept: maxFalseAccept } : {}),
        tuned_on: { split: session.tunedOn },
        measured_on: { split: session.measuredOn },
      },
      m,
    );
    save.start(record);
  }, [ui.saveRequests]); // eslint-disable-line react-hooks/exhaustive-deps

  const publishHint = onOpen ? 'p opens Publish' : `to ship them, run: ${publishCommand(ctx.workspace.root, session.version)}`;
  const savedText = save.state.status === 'done' && save.state.output ? describeSave(save.state.output, (p) => p, publishHint) : undefined;
  useEffect(() => {
    if (save.state.status !== 'done' || !save.state.output) return;
    onDone(savedText);
    if (onOpen && savePending(save.state.output)) dispatch({ type: 'offer-publish' });
  }, [save.state.status]); // eslint-disable-line react-hooks/exhaustive-deps

  let status: { text: string; color?: string };
  if (ui.edit) {
    status = { text: `${ui.edit.field === 'target' ? 'Target selective accuracy' : `Set ${ui.edit.field}`}: ${ui.edit.text}▏ (⏎ apply, esc cancel)`, color: theme.accent };
  } else if (save.state.status === 'running') {
    status = { text: 'Saving…' };
  } else if (save.state.status === 'failed') {
    status = { text: `✖ Save failed: ${stepErrorLine(save.state.error)}`, color: theme.error };
  } else if (ui.message) {
    status = { text: ui.message.text, color: ui.message.kind === 'error' ? theme.error : theme.ok };
  } else if (savedText) {
    status = { text: savedText, color: theme.ok };
  } else if (suggestion) {
    status = { text: `Suggestion for ${percent(ui.target, 0)}: tau ${gridValue(suggestion.ti).toFixed(2)} margin ${gridValue(suggestion.mi).toFixed(2)}, coverage ${percent(suggestion.coverage)} (g)` };
  } else {
    status = { text: `No setting reaches ${percent(ui.target, 0)} selective accuracy (t to type another target)`, color: theme.warn };
  }

  // The key hints: a second line when the terminal is narrow (help-bar.tsx), counted in the layout below.
  const helpKey = useContext(HelpKeyContext);
  const bar = { loading: false, publishOffered: Boolean(ui.publishOffered) };
  const keyLines = helpBarLines(TUNE_KEYS, bar, columns, helpKey);
  // The status may wrap (a save says what ships); every extra line comes out of the plots.
  // Without room for the plots (a small terminal) it stays one line, cut.
  const wanted = Math.min(3, Math.max(1, Math.ceil(status.text.length / Math.max(1, columns - 1))));
  // Layout: 10 fixed lines (title, 2 sliders, numbers, meaning, blank, weakest, the plots' title and 2 axis
  // lines), the held-out line, the key lines, the status and the plots; one row stays free for Ink's last newline.
  const room = rows - 1 - 10 - (held ? 1 : 0) - keyLines;
  const statusLines = room - wanted >= 3 ? wanted : 1;
  // The plots take every row left: a tall terminal gets a taller curve (the heatmap stops at its 21 margins).
  const plotH = room - statusLines;
  const showPlots = plotH >= 3 && columns >= 40;
  // The heatmap (30 columns with its axis) fits beside a curve from 60 columns.
  const showHeat = showPlots && columns >= 60;
  const heatRows = Math.min(plotH, 21);
  const chartW = showHeat ? columns - 1 - 6 - 2 - 30 : columns - 8;
  const heat = useMemo(() => {
    if (!showHeat) return undefined;
    const start = Math.max(0, Math.min(Math.round(ui.mi / HEAT_STEP) - heatRows + 1, 20 - heatRows + 1));
    const margins = Array.from({ length: heatRows }, (_, r) => gridValue((start + r) * HEAT_STEP));
    const taus = Array.from({ length: 21 }, (_, c) => gridValue(c * HEAT_STEP));
    const values = margins.map((_, r) =>
      taus.map((__, c) => {
        const g = tune.gridCounts(c * HEAT_STEP, (start + r) * HEAT_STEP);
        if (g.accepted === 0) return null;
        return ui.heatmap === 'accuracy' ? g.correct / g.accepted : g.accepted / tune.n;
      }),
    );
    return { margins, taus, values, current: { r: Math.round(ui.mi / HEAT_STEP) - start, c: Math.round(ui.ti / HEAT_STEP) } };
  }, [showHeat, ui.mi, ui.ti, ui.heatmap, heatRows, tune]);
  const curve = useMemo(() => (showPlots ? tune.gridCurve(ui.mi) : []), [showPlots, tune, ui.mi]);

  // Measured where the CLI measures it (the held-out split when there is one), and said so.
  const worst = worstClasses((held ? measure.at(tau, margin, { perClass: true }) : cur).perClass ?? [], 3);
  const accLabel = columns >= 72 ? 'selective acc' : 'sel.acc';
  const mainLine = (farLabel: string) =>
    `${session.tunedOn.padEnd(10)} n=${String(cur.n).padEnd(5)} coverage ${percent(cur.coverage)}  ${accLabel} ${percent(cur.selectiveAccuracy)}  mistakes ${cur.confidentMistakes}${cur.negatives ? `  ${farLabel} ${percent(cur.negatives.falseAcceptRate)}` : ''}`;
  const numbers = mainLine('false accepts').length < columns ? mainLine('false accepts') : mainLine('FAR');
  const sliderW = Math.min(columns, 80) - 1;
  const line = (s: string, room = columns - 1) => (s.length > room ? s.slice(0, Math.max(0, room - 1)) + '…' : s);

  return (
    <Box flexDirection="column" width={columns}>
      <Text>
        <Text bold color={theme.accent}>
          Tune thresholds
        </Text>
        <Text dimColor>{line(` · ${session.version} · T ${session.temperature.toFixed(2)} · top-1 ${percent(cur.top1)} (${session.tunedOn}) · AURC ${tune.riskCoverage().aurc.toFixed(3)}`, columns - 1 - 'Tune thresholds'.length)}</Text>
      </Text>
      <Slider label="tau" value={tau} focused={ui.focus === 'tau'} width={sliderW} {...(ui.edit?.field === 'tau' ? { editing: ui.edit.text } : {})} />
      <Slider label="margin" value={margin} focused={ui.focus === 'margin'} width={sliderW} {...(ui.edit?.field === 'margin' ? { editing: ui.edit.text } : {})} />
      <Text>
        {line(numbers)}
      </Text>
      <Text dimColor>{line(meaningLine(tau, margin))}</Text>
      {held ? (
        <Text dimColor>{line(`${session.measuredOn.padEnd(10)} n=${String(held.n).padEnd(5)} coverage ${percent(held.coverage)}  ${accLabel} ${percent(held.selectiveAccuracy)}  mistakes ${held.confidentMistakes}`)}</Text>
      ) : null}
      <Text> </Text>
      {showPlots ? (
        <Box>
          <RiskCoverageChart
            title={chartW >= 24 ? `Risk vs coverage (margin ${margin.toFixed(2)})` : 'Risk vs coverage'}
            points={curve}
            current={{ coverage: cur.coverage, risk: cur.selectiveAccuracy === null ? 0 : 1 - cur.selectiveAccuracy }}
            width={Math.max(10, chartW)}
            height={plotH}
          />
          {heat ? (
            <Box marginLeft={2}>
              <ThresholdHeatmap values={heat.values} margins={heat.margins} taus={heat.taus} current={heat.current} mode={ui.heatmap} target={ui.target} />
            </Box>
          ) : null}
        </Box>
      ) : null}
      <Text>{line(weakestLine(worst, session.measuredOn, columns - 1))}</Text>
      {statusLines > 1 ? (
        <Box width={Math.max(1, columns - 1)} height={statusLines}>
          <Text wrap="wrap" {...(status.color ? { color: status.color } : {})}>
            {status.text}
          </Text>
        </Box>
      ) : (
        <Text {...(status.color ? { color: status.color } : {})}>{line(status.text)}</Text>
      )}
      <HelpBar table={TUNE_KEYS} state={bar} columns={columns} />
    </Box>
  );
}
