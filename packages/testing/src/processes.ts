/**
 * The apps as child processes, each run as `pnpm start:<app>` runs it, with its output appended
 * to a log file: used by the chaos run, the multi-process scale tests and the scale-out bench.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_FLAGS } from '@payouts/runtime';

const ROOT = resolve(import.meta.dirname, '../../..');

/** The last `lines` lines of a log file, for an error message. */
export function tail(path: string, lines = 30): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}

// The apps get their harness's settings only: nothing of the engine's configuration is inherited
// from the caller's shell (a PROVIDER_ROUTES or WORKER_PROVIDERS there would change what is
// tested), nor the test runner's own variables.
const ENGINE_VARIABLE =
  /^(VITEST|NODE_OPTIONS$|TEST$|TINYPOOL|RAZORPAYX_|KRAYON_|THAI_GATEWAY_|DRUO_|POLL_|SWEEP_|RECONCILER_|PROVIDER_|WORKER_|REVERSAL_|SANDBOX_|DATABASE_URL$|REDIS_URL$|QUEUE_PREFIX$|LOG_LEVEL$|PORT$|OPERATOR_API_KEY$|METRICS_)/;

/** This process's environment without the engine's and the test runner's variables: the base of an app's env. */
export function inheritedEnv(): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!ENGINE_VARIABLE.test(k)) base[k] = v;
  return base;
}

export type AppKind = 'sandbox' | 'api' | 'worker' | 'reconciler';

/**
 * How an app runs: `tsx` as `pnpm start:<app>` runs it in development (`tsx src/main.ts` in its
 * folder), or `dist` as production runs it (`node dist/main.js`, after `pnpm build`).
 */
export type AppRuntime = 'tsx' | 'dist';

/** The node arguments that start an app with `runtime`, from the app's folder. */
function appCommand(runtime: AppRuntime, nodeFlags: readonly string[]): string[] {
  return runtime === 'dist'
    ? ['--enable-source-maps', ...nodeFlags, 'dist/main.js']
    : ['--import', 'tsx', 'src/main.ts'];
}

/** One app, run as `pnpm start:<app>` (or `start:dist`) runs it, but without pnpm in between. */
export class AppProcess {
  private current: { child: ChildProcess; expected: boolean; exited: Promise<void> } | null = null;
  starts = 0;

  constructor(
    readonly name: string,
    readonly kind: AppKind,
    private readonly env: NodeJS.ProcessEnv,
    readonly logPath: string,
    private readonly onUnexpectedExit: (app: AppProcess, code: number | null, signal: string | null) => void,
    readonly runtime: AppRuntime = 'tsx',
    /** Compiled only: the V8 flags it runs with; production's (NODE_FLAGS) unless a bench compares. */
    readonly nodeFlags: readonly string[] = NODE_FLAGS[kind],
  ) {}

  get alive(): boolean {
    return this.current !== null;
  }

  /** The running child's pid (for /proc readings), undefined while it is not running. */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  start(): void {
    if (this.current) return;
    const fd = openSync(this.logPath, 'a');
    this.starts++;
    writeSync(fd, `\n--- ${this.name} start #${this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, appCommand(this.runtime, this.nodeFlags), {
      cwd: join(ROOT, 'apps', this.kind),
      env: this.env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const entry = {
      child,
      expected: false,
      exited: new Promise<void>((done) => {
        child.once('exit', (code, signal) => {
          if (this.current === entry) this.current = null;
          if (!entry.expected) this.onUnexpectedExit(this, code, signal);
          done();
        });
      }),
    };
    child.once('error', (error) => {
      const fdErr = openSync(this.logPath, 'a');
      writeSync(fdErr, `--- spawn error: ${String(error)}\n`);
      closeSync(fdErr);
    });
    this.current = entry;
  }

  /** Sends the signal and waits for the exit (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 5000): Promise<void> {
    const entry = this.current;
    if (!entry) return;
    entry.expected = true;
    entry.child.kill(signal);
    const timedOut = await Promise.race([entry.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      entry.child.kill('SIGKILL');
      await Promise.race([entry.exited, sleep(2000)]);
    }
  }

  /** For an exit handler: no waiting possible. */
  killNow(): void {
    if (!this.current) return;
    this.current.expected = true;
    this.current.child.kill('SIGKILL');
  }
}

/** Resolves once `app` has written `line` (its start message) to its log; fails at once if it exits. */
export async function waitForLogLine(app: AppProcess, line: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(app.logPath) && readFileSync(app.logPath, 'utf8').includes(line)) return;
    if (!app.alive) throw new Error(`${app.name} exited before "${line}":\n${tail(app.logPath, 20)}`);
    await sleep(100);
  }
  throw new Error(`${app.name} did not log "${line}" within ${timeoutMs} ms:\n${tail(app.logPath, 20)}`);
}
