import type { CommanderError } from 'commander';

/**
 * With --json, a usage error (unknown option or command, missing argument, a flag's bad value) still ends in an
 * NDJSON error object on stdout, as every --json run does; commander's own text stays on stderr for people.
 */
export function usageErrorAsJson(message: string, argv: readonly string[]): void {
  if (!argv.includes('--json')) return;
  const text = message.replace(/^error: /, '').trim();
  // A flag's bad value (argParser, choices) or missing value: name the flag, as other bad input does.
  const flag = /^option '(?:-\w, )?(--[\w-]+)/.exec(text)?.[1];
  process.stdout.write(JSON.stringify({ type: 'error', ok: false, code: 'usage', message: text, ...(flag ? { item: flag } : {}), hint: 'See edgewise --help.', exitCode: 2 }) + '\n');
}

/** The exit code for commander's own ending: --help and --version 0; usage errors 2 (commander says 1). */
export function exitCodeOfUsage(e: CommanderError, argv: readonly string[]): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
  usageErrorAsJson(e.message, argv);
  return 2;
}
