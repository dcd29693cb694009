/**
 * The HTTP load generator's client side: runs bench/load.ts (autocannon) in a child process, so
 * that it never shares the API's event loop, and reads its one-line JSON answer.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

export interface LoadOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationS?: number;
  /** Stop after this many requests (instead of a duration). */
  amount?: number;
  /** Requests per second across all connections (open-loop pacing). */
  overallRate?: number;
  /** Every request gets `Idempotency-Key: <keyPrefix>-<n>`. */
  keyPrefix: string;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** The load generator's own CPU, % of one core. */
  cpuPct: number;
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/load.ts')], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`load generator exited ${code}: ${err.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(last) as LoadResult);
    });
    child.stdin.end(JSON.stringify(options));
  });
}
