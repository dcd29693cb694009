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
