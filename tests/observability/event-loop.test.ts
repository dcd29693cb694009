import { createRegistry } from '@payouts/observability';
import { waitFor } from '@payouts/testing';
import { describe, expect, test } from 'vitest';

/** Bucket counts of payouts_event_loop_delay_seconds, by upper bound, from the exposition text. */
async function buckets(registry: ReturnType<typeof createRegistry>): Promise<Map<string, number>> {
  const text = await registry.metrics();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^payouts_event_loop_delay_seconds_bucket\{le="([^"]+)"[^}]*\} (\d+)$/gm))
    out.set(m[1] as string, Number(m[2]));
  return out;
}

describe('payouts_event_loop_delay_seconds', () => {
  test("every app's registry carries it, and a blocked loop shows as a delay of the blocked time", async () => {
    const registry = createRegistry('event-loop-test');
    expect((await buckets(registry)).get('+Inf')).toBe(0);
    // Sampling: the monitor's 10 ms timer observes its lateness each time it runs.
    await waitFor(async () => ((await buckets(registry)).get('+Inf') ?? 0) > 0, { message: 'the first samples' });
    // Keep the loop busy for 300 ms, as a long synchronous job would.
    const until = Date.now() + 300;
    while (Date.now() < until) {}
    // The timer due during the stall runs once the loop turns again, and observes how late it was.
    const after = await waitFor(
      async () => {
        const b = await buckets(registry);
        return (b.get('+Inf') ?? 0) > (b.get('0.25') ?? 0) ? b : undefined;
      },
      { message: 'a sample above 250 ms' },
    );
    // The 300 ms stall is one late timer, not hundreds: the rest of the samples are on time.
    expect((after.get('+Inf') ?? 0) - (after.get('0.25') ?? 0)).toBeGreaterThanOrEqual(1);
    expect(after.get('0.5')).toBe(after.get('+Inf'));
  });
});

/** A counter's value from the exposition text (0 when absent). */
async function counter(registry: ReturnType<typeof createRegistry>, name: string): Promise<number> {
  const text = await registry.metrics();
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}

describe('payouts_event_loop_stalled_seconds_total and its CPU', () => {
  test('a stall of computing counts its CPU; a stall of waiting counts almost none', async () => {
    const registry = createRegistry('event-loop-stall-test');
    await waitFor(async () => ((await buckets(registry)).get('+Inf') ?? 0) > 0, { message: 'the first samples' });
    const stalledBefore = await counter(registry, 'payouts_event_loop_stalled_seconds_total');

    // Computing: spin until this process has used 300 ms of CPU (not of wall time, so a busy
    // machine cannot make the stall shorter in CPU than that).
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 300_000) {}
    const computed = await waitFor(
      async () => {
        const s = await counter(registry, 'payouts_event_loop_stalled_seconds_total');
        return s - stalledBefore >= 0.29 ? s : undefined;
      },
      { message: 'the computing stall counted' },
    );
    const cpuAfterComputing = await counter(registry, 'payouts_event_loop_stalled_cpu_seconds_total');
    expect(cpuAfterComputing).toBeGreaterThanOrEqual(0.29);

    // Waiting: the thread blocked without running (as when it waits for a core) for 300 ms.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const waited = await waitFor(
      async () => {
        const s = await counter(registry, 'payouts_event_loop_stalled_seconds_total');
        return s - computed >= 0.29 ? s - computed : undefined;
      },
      { message: 'the waiting stall counted' },
    );
    const cpuOfWaiting = (await counter(registry, 'payouts_event_loop_stalled_cpu_seconds_total')) - cpuAfterComputing;
    expect(cpuOfWaiting).toBeLessThan(waited / 2);
  });
});
