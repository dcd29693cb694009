import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPEATED_SIGNAL_MS } from '@payouts/runtime';
import { waitFor } from '@payouts/testing';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from './support.ts';

/**
 * The apps' signal handling (installSignalHandlers), in a process of its own: a terminal's Ctrl-C
 * reaches the launcher (tsx, pnpm) and the app alike, and the launcher relays its copy. That copy
 * must not count as a second Ctrl-C, which exits at once with 130 (pnpm then reports a failure).
 */
const dir = mkdtempSync(join(tmpdir(), 'payouts-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function app(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const script = join(dir, `app-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    script,
    [
      `import { installSignalHandlers, onShutdown } from ${JSON.stringify(join(ROOT, 'packages/runtime/src/index.ts'))};`,
      `installSignalHandlers({ deadlineMs: 120_000, log: (m) => console.log(m) });`,
      // A shutdown that finishes only when told to (a file appears), like an app draining its work.
      `onShutdown('work', async () => {`,
      `  console.log('draining');`,
      `  const { existsSync } = await import('node:fs');`,
      `  while (!existsSync(${JSON.stringify(join(dir, 'done'))})) await new Promise((r) => setTimeout(r, 20));`,
      `});`,
      `console.log('ready');`,
      `setInterval(() => {}, 1000);`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => out, exited };
}

describe('signals', () => {
  test('one Ctrl-C delivered twice at once (the group and the launcher’s relay) is one stop: it drains and exits 0', async () => {
    rmSync(join(dir, 'done'), { force: true });
    const a = app();
    await waitFor(() => a.output().includes('ready') || undefined, { message: 'the app to start' });
    a.child.kill('SIGINT');
    a.child.kill('SIGINT');
    await waitFor(() => a.output().includes('draining') || undefined, { message: 'the shutdown to start' });
    writeFileSync(join(dir, 'done'), '');
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain('closed work');
  });

  test('a second Ctrl-C later, during a long shutdown, exits at once with 130', async () => {
    rmSync(join(dir, 'done'), { force: true });
    const a = app();
    await waitFor(() => a.output().includes('ready') || undefined, { message: 'the app to start' });
    a.child.kill('SIGINT');
    await waitFor(() => a.output().includes('draining') || undefined, { message: 'the shutdown to start' });
    // Past the window in which a second signal is taken for the same one (a person's second press).
    await sleep(REPEATED_SIGNAL_MS + 200);
    a.child.kill('SIGINT');
    expect(await a.exited).toBe(130);
    expect(a.output()).not.toContain('closed work');
  });
});
