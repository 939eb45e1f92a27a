/** Runs one registry operation in its own process (for SIGKILL crash tests and races); prints one JSON line. */
import { describeError } from '../../src/core/errors.js';
import { publish } from '../../src/registry/publish.js';
import { rollback } from '../../src/registry/rollback.js';
import { listVersions } from '../../src/registry/versions.js';
import { workspaceAt } from './fixtures.js';

const args = JSON.parse(process.argv[2] ?? '{}') as { op: 'publish' | 'rollback' | 'versions'; root: string; registry?: string; model?: string; to?: string; force?: boolean };
const ws = workspaceAt(args.root, args.registry);
try {
  const output =
    args.op === 'publish'
      ? await publish(ws, { ...(args.model ? { model: args.model } : {}), forceUnevaluated: Boolean(args.force), actor: 'child' })
      : args.op === 'rollback'
        ? await rollback(ws, { ...(args.to ? { to: args.to } : {}), actor: 'child' })
        : await listVersions(ws);
  process.stdout.write(JSON.stringify({ ok: true, output }) + '\n');
} catch (e) {
  const d = describeError(e);
  process.stdout.write(JSON.stringify({ ok: false, error: { code: d.code, message: d.message } }) + '\n');
  process.exitCode = d.exitCode;
}
