import { spawnSync } from 'node:child_process';

/**
 * Runs Prometheus's `promtool` (Debian's `prometheus` package; .ci/run installs it when missing).
 * A machine without it fails the test that needs it, saying what to install: never a silent skip.
 */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new Error(
      'promtool not found: install the `prometheus` package (`apt-get install prometheus`, as .ci/run does)',
    );
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
