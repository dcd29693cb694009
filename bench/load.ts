/**
 * The HTTP load generator, run as a child process by bench/load-generator.ts `runLoad` so that it has its
 * own event loop and does not steal the API's. Reads its options (LoadOptions) as JSON on stdin,
 * runs autocannon, prints one JSON line (LoadResult) on stdout.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load-generator.ts';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const o = JSON.parse(input) as LoadOptions;

let n = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await autocannon({
  url: o.url,
  connections: o.connections,
  pipelining: 1,
  timeout: 30,
  ...(o.amount ? { amount: o.amount } : { duration: o.durationS ?? 10 }),
  ...(o.overallRate ? { overallRate: o.overallRate } : {}),
  requests: [
    {
      method: 'POST',
      path: o.path,
      headers: o.headers,
      body: o.body,
      setupRequest: (req) => {
        req.headers = { ...req.headers, 'idempotency-key': `${o.keyPrefix}-${n++}` };
        return req;
      },
    },
  ],
});
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);

const statusCodes: Record<string, number> = {};
for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
const out: LoadResult = {
  requests,
  durationS: result.duration,
  rps: requests / result.duration,
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    mean: result.latency.mean,
  },
  statusCodes,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 100),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
