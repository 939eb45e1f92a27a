import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('versions')
    .description('list published versions: metrics, thresholds, which one is active')
    .option('--registry <location>', 'registry: a SQLite file (default ml/registry.db) or a postgres:// URL (also DATABASE_URL)')
    .option('--events', 'also print the event log (publish, activate, rollback: when and by whom)')
    .action(async (flags: { registry?: string; events?: boolean }, cmd: Command) => {
      process.exitCode = await runCommand('versions', globalsOf(cmd), async (h) => {
        const { versionsStep, versionsTable } = await import('../../registry/versions.js');
        const out = await h.run(versionsStep, {}, flags.registry ? { registry: flags.registry } : {});
        const lines = [versionsTable(out)];
        if (flags.events) {
          lines.push('', 'events:');
          for (const e of out.events) lines.push(`  ${e.at.slice(0, 19).replace('T', ' ')}  ${e.kind.padEnd(8)} ${e.version}${e.from_version ? ` (from ${e.from_version})` : ''}  by ${e.actor}`);
        }
        return { output: out, human: lines.join('\n') };
      });
    });
};
