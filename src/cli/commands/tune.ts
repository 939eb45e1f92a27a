import { Option, type Command } from 'commander';
import { unitInterval } from '../flag-values.js';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import { percent, plural } from '../../core/text.js';

interface TuneFlags {
  model?: string;
  targetAccuracy?: number;
  negatives?: string;
  maxFalseAccept?: number;
  tau?: number;
  margin?: number;
  split?: 'auto' | 'validation' | 'test';
  dryRun?: boolean;
  interactive?: boolean;
  publish?: boolean;
  yes?: boolean;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('tune')
    .description('choose the thresholds tau and margin: the app answers only when p1 >= tau and p1 - p2 >= margin')
    .option('--model <version>', 'model version whose predictions to tune (default: the newest evaluated)')
    .option('--target-accuracy <p>', 'pick the highest coverage whose selective accuracy is at least this (default: tune.targetAccuracy or 0.95)', unitInterval('--target-accuracy'))
    .option('--negatives <dir>', 'folder of photos of none of the classes; reports and limits the false-accept rate')
    .option('--max-false-accept <p>', 'with --negatives: highest share of negatives the app may answer', unitInterval('--max-false-accept', '0.05'))
    .option('--tau <x>', 'use this tau instead of searching (0–1)', unitInterval('--tau', '0.6'))
    .option('--margin <y>', 'use this margin instead of searching (0–1)', unitInterval('--margin', '0.1'))
    .addOption(new Option('--split <name>', 'split to choose on (default: tune.split or auto)').choices(['auto', 'validation', 'test']))
    .option('--dry-run', 'print the result, write nothing')
    .option('--interactive', 'open the tuning screen (the default on a terminal when no target or tau is given)')
    .option('--publish', 'then publish the thresholds, as `edgewise publish` does (old vs new, asks on a terminal)')
    .option('-y, --yes', 'with --publish: publish without asking (needed when there is no terminal to ask on)')
    .action(async (flags: TuneFlags, cmd: Command) => {
      const globals = globalsOf(cmd);
      process.exitCode = await runCommand('tune', globals, async (h) => {
        const { InputError } = await import('../../core/errors.js');
        const ctx = h.context();
        const settings = ctx.config.tune;
        const targetFlag = flags.targetAccuracy;
        const maxFalseAccept = flags.maxFalseAccept ?? settings.maxFalseAccept;
        const { tau, margin } = flags;
        const split = flags.split ?? settings.split;
        if (targetFlag !== undefined && (tau !== undefined || margin !== undefined)) {
          throw new InputError('Pass either --target-accuracy or --tau/--margin, not both.', { item: '--target-accuracy', hint: 'A target searches for tau and margin; --tau/--margin set them directly.' });
        }
        if (flags.publish && flags.dryRun) throw new InputError('--publish and --dry-run contradict each other.', { item: '--publish' });
        if (flags.maxFalseAccept !== undefined && !(flags.negatives ?? settings.negatives)) {
          throw new InputError('--max-false-accept needs --negatives DIR (the photos to measure false accepts on).', { item: '--max-false-accept' });
        }
        const negatives = flags.negatives ?? settings.negatives;
        const wantsScreen = flags.interactive === true || (h.interactive && targetFlag === undefined && tau === undefined && margin === undefined && !flags.dryRun && !flags.publish);
        if (wantsScreen) {
          if (!h.interactive) {
            throw new InputError('The tuning screen needs a terminal (stdin and stdout a TTY, not CI, no --json/--no-input).', {
              item: '--interactive',
              hint: 'Run headless instead: edgewise tune --target-accuracy 0.95 (or --tau X --margin Y).',
            });
          }
          const { loadTuneScreen } = await import('../open-screens.js');
          const { openTuneScreen } = await loadTuneScreen();
          const r = await openTuneScreen({
            ctx,
            ...(flags.model ? { model: flags.model } : {}),
            ...(negatives ? { negatives } : {}),
            split,
            target: targetFlag ?? settings.targetAccuracy,
            ...(maxFalseAccept === undefined ? {} : { maxFalseAccept }),
          });
          return { output: r.output, human: r.human, exitCode: r.exitCode };
        }
        const { tuneStep, weakestLine, meaningLine } = await import('../../tune/step.js');
        const out = await h.run(tuneStep, {
          ...(flags.model ? { model: flags.model } : {}),
          ...(negatives ? { negatives } : {}),
          split,
          ...(tau !== undefined || margin !== undefined ? { tau: tau ?? 0, margin: margin ?? 0 } : { targetAccuracy: targetFlag ?? settings.targetAccuracy }),
          ...(maxFalseAccept === undefined ? {} : { maxFalseAccept }),
          dryRun: Boolean(flags.dryRun),
        });
        const m = out.measured_on;
        const lines = [
          `${out.version}: tau ${out.tau.toFixed(2)}, margin ${out.margin.toFixed(2)}${out.target !== undefined ? ` (highest coverage at >= ${percent(out.target)} selective accuracy on ${out.tuned_on.split})` : ''}`,
          `  ${meaningLine(out.tau, out.margin)}; otherwise the app says "not sure".`,
          `  ${m.split} (${m.n} images): coverage ${percent(m.coverage)}, selective accuracy ${percent(m.selective_accuracy)}, top-1 ${percent(m.top1)}, ${plural(m.confident_mistakes, 'confident mistake')}, AURC ${out.aurc.toFixed(4)}`,
        ];
        if (out.tuned_on.split !== m.split) {
          const t = out.tuned_on;
          lines.push(`  ${t.split} (${t.n} images): coverage ${percent(t.coverage)}, selective accuracy ${percent(t.selective_accuracy)}`);
        }
        if (m.false_accept_rate !== undefined) lines.push(`  negatives (${out.negatives?.n ?? 0} images from ${out.negatives?.source ?? '?'}): false-accept rate ${percent(m.false_accept_rate)}`);
        if (out.worst_classes.length > 0) lines.push(`  ${weakestLine(out.worst_classes, m.split)}`);
        if (!out.saved) return { output: out, human: [...lines, 'Dry run: nothing written.'].join('\n') };
        const { describeSave } = await import('../../tune/save.js');
        const { publishCommand } = await import('../../tune/publish-command.js');
        const command = publishCommand(h.root, out.version);
        const saved = { path: out.saved, run: out.version, tau: out.tau, margin: out.margin, temperature: out.temperature, ...(out.live ? { live: out.live } : {}) };
        // Publishing needs a yes: asked on a terminal, --yes otherwise (runPublish refuses without one).
        const publishing = flags.publish && (flags.yes || h.interactive);
        lines.push(describeSave(saved, (p) => p, publishing ? 'publishing them now' : `to ship them, run: ${command}${flags.publish ? ' --yes' : ''}`));
        if (!flags.publish || !out.publish_pending) return { output: out, human: lines.join('\n') };
        // Chained: the same comparison and question as `edgewise publish`.
        h.reporter.event({ type: 'log', step: 'tune', message: lines.join('\n') });
        const { runPublish } = await import('./publish-run.js');
        const published = await runPublish(h, { model: out.version, yes: Boolean(flags.yes) });
        return { output: { ...out, publish: published.output }, human: published.human ?? '' };
      });
    });
};

