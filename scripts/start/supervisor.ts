/**
 * `pnpm start`'s supervisor: each app its own Node process, so no stage starves another of its
 * event loop (one process for all of them lost BullMQ locks and stalled under a large batch).
 *
 * - One log stream: every child's output comes out of this process's stdout, line by line. The
 *   apps log JSON that carries their name (`"name":"worker"`), passed through as it is; anything
 *   else (a stack trace, a tsx error) is prefixed with `[<app>] `.
 * - One Ctrl-C: each child has its own process group, so a terminal's SIGINT reaches this process
 *   only, which sends SIGTERM to every child and waits for them to finish what they hold (each
 *   exits within its 15 s shutdown deadline; SIGKILL after `stopDeadlineMs`). A second Ctrl-C kills
 *   them at once. If this process dies without stopping them, their IPC channel closes and they
 *   shut down by themselves (onParentGone in @payouts/runtime).
 * - A child that exits unexpectedly is restarted after a backoff (1 s, doubling up to 30 s; reset
 *   once it has run a minute). One that crashes `maxQuickCrashes` times in a row, each within a
 *   minute of its start, brings everything down with a message naming it: a crash loop is a bug
 *   or a broken setup to look at, not something to hide behind restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_FLAGS } from '@payouts/runtime';

export type AppName = 'sandbox' | 'api' | 'reconciler' | 'worker';

export interface AppSpec {
  /** The process's name in the logs (`worker`, or `worker-2` when there are several). */
  name: string;
  app: AppName;
  env: NodeJS.ProcessEnv;
  /** A URL answering 200 once the app is ready, or null when it has none (its metrics turned off). */
  readyUrl: string | null;
}

interface Running {
  spec: AppSpec;
  child: ChildProcess | null;
  startedAt: number;
  quickCrashes: number;
  readyMs: number | null;
  exited: Promise<void>;
}

const QUICK_MS = 60_000;

export class Supervisor {
  private readonly running: Running[] = [];
  private stopping = false;

  constructor(
    private readonly root: string,
    private readonly options: {
      /** `dist`: node apps/<app>/dist/main.js (pnpm build); `tsx`: the TypeScript sources. */
      runtime: 'tsx' | 'dist';
      log: (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;
      /** Everything must stop: a child is in a crash loop. */
      onGiveUp: (reason: string) => void;
      maxQuickCrashes?: number;
      stopDeadlineMs?: number;
      write?: (line: string) => void;
    },
  ) {
    if (options.runtime === 'dist')
      for (const app of ['sandbox', 'api', 'reconciler', 'worker'] as const)
        if (!existsSync(join(root, 'apps', app, 'dist', 'main.js')))
          throw new Error(`apps/${app}/dist/main.js is missing: run \`pnpm build\` first (\`pnpm start:dist\` does)`);
  }

  /** Starts one app; resolves once its ready URL answers 200 (or at once without one). */
  async start(spec: AppSpec, readyTimeoutMs = 180_000): Promise<void> {
    const entry: Running = {
      spec,
      child: null,
      startedAt: 0,
      quickCrashes: 0,
      readyMs: null,
      exited: Promise.resolve(),
    };
    this.running.push(entry);
    this.spawn(entry);
    if (spec.readyUrl) await this.waitReady(entry, readyTimeoutMs);
  }

  /** pid and time from spawn to ready (ms) of each app, for the banner and the bench. */
  processes(): { name: string; pid: number | undefined; readyMs: number | null }[] {
    return this.running.map((r) => ({ name: r.spec.name, pid: r.child?.pid, readyMs: r.readyMs }));
  }

  private spawn(entry: Running): void {
    const { spec } = entry;
    const args =
      this.options.runtime === 'dist'
        ? ['--enable-source-maps', ...NODE_FLAGS[spec.app], 'dist/main.js']
        : ['--import', 'tsx', 'src/main.ts'];
    const child = spawn(process.execPath, args, {
      cwd: join(this.root, 'apps', spec.app),
      env: spec.env,
      // Its own process group (a terminal's Ctrl-C is ours to handle) and an IPC channel whose
      // closing tells it we are gone.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    entry.child = child;
    entry.startedAt = performance.now();
    const write = this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        write(line.startsWith('{') ? line : `[${spec.name}] ${line}`);
      });
    }
    entry.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        entry.child = null;
        done();
        if (this.stopping) return;
        this.onCrash(entry, code, signal);
      });
    });
    child.once('error', (error) => this.options.log('error', `${spec.name} could not start`, { err: String(error) }));
  }

  private onCrash(entry: Running, code: number | null, signal: NodeJS.Signals | null): void {
    const { spec } = entry;
    const ranMs = performance.now() - entry.startedAt;
    entry.quickCrashes = ranMs < QUICK_MS ? entry.quickCrashes + 1 : 1;
    const max = this.options.maxQuickCrashes ?? 5;
    if (entry.quickCrashes >= max) {
      this.options.onGiveUp(
        `${spec.name} exited ${max} times in a row within a minute of starting (last: code ${code}, signal ${signal}); ` +
          'its log lines above say why. Stopping everything.',
      );
      return;
    }
    const backoffMs = Math.min(30_000, 1000 * 2 ** (entry.quickCrashes - 1));
    this.options.log('error', `${spec.name} exited unexpectedly: restarting it in ${backoffMs / 1000} s`, {
      code,
      signal,
      ranSeconds: Math.round(ranMs / 100) / 10,
      restart: entry.quickCrashes,
    });
    setTimeout(() => {
      if (!this.stopping) this.spawn(entry);
    }, backoffMs).unref();
  }

  private async waitReady(entry: Running, timeoutMs: number): Promise<void> {
    const url = entry.spec.readyUrl;
    if (!url) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.stopping) throw new Error('stopping');
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.ok) {
          entry.readyMs = Math.round(performance.now() - entry.startedAt);
          return;
        }
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    throw new Error(`${entry.spec.name} was not ready (${url}) within ${timeoutMs / 1000} s: see its log lines above`);
  }

  /** SIGTERM to every app, the API first (it stops taking requests), then waits for all to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    const order: AppName[] = ['api', 'worker', 'reconciler', 'sandbox'];
    const ranked = [...this.running].sort((a, b) => order.indexOf(a.spec.app) - order.indexOf(b.spec.app));
    for (const r of ranked) r.child?.kill('SIGTERM');
    const deadline = this.options.stopDeadlineMs ?? 25_000;
    const all = Promise.all(ranked.map((r) => r.exited));
    const timedOut = await Promise.race([all.then(() => false), sleep(deadline).then(() => true)]);
    if (timedOut) {
      for (const r of ranked) {
        if (!r.child) continue;
        this.options.log('warn', `${r.spec.name} did not stop within ${deadline / 1000} s: killing it`);
        r.child.kill('SIGKILL');
      }
      await all;
    }
  }

  /** For a second Ctrl-C: no waiting. */
  killNow(): void {
    this.stopping = true;
    for (const r of this.running) r.child?.kill('SIGKILL');
  }
}
