import { spawn } from 'node:child_process';
import { expect, test } from 'vitest';

/**
 * A process that exits right after logging (a SIGTERM's last "closed …" lines) must leave every
 * line on stdout, in the order it was logged. With pino's default asynchronous stream, lines still
 * queued on a busy thread pool landed after later ones (seen as "closed database" before "closed
 * reconciler" in the shutdown test on a loaded machine).
 */
test('log lines written just before process.exit arrive complete and in order', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/observability/fixtures/log-then-exit.ts'], {
    env: { PATH: process.env.PATH, UV_THREADPOOL_SIZE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code, out).toBe(0);
  const lines = out
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
  expect(lines).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
});
