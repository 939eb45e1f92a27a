import { installNetworkGuard } from './guard.js';

/**
 * Preloaded (`node --import`) into CLI processes that integration tests spawn: any non-loopback
 * connection is refused and reported on stderr, and the process exits with 99 so the test fails.
 */
const guard = installNetworkGuard();
process.on('exit', () => {
  if (guard.violations.length) {
    process.stderr.write(`NETWORK GUARD: ${guard.violations.join('; ')}\n`);
    process.exitCode = 99;
  }
});
