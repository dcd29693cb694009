/**
 * Provider budget (issue 12): the whole system as separate OS processes (tests/scale/process-system.ts),
 * every provider's budget at 10 calls a second (`<PROVIDER>_RATE_PER_SECOND`) and the sandbox
 * enforcing the same 10 a second per provider (429 past it), webhooks on for RazorpayX (the only
 * provider whose pages document them). 600 payouts per provider in one batch run each (the four
 * running together: each provider has its own budget), 5% failing at the bank and 3% reversed.
 * Per provider: the calls the sandbox received per settled payout, by kind; the time from the first
 * acceptance to the last settlement ÷ the floor N / rate. Then a second tenant's single RazorpayX
 * payout posted while a 5,000-item batch of the first drains: how long until it was sent, and
 * settled. Targets for RazorpayX: ≤ 1.2 calls per payout, ≤ 1.2 × the floor; the others reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Database, rowsOf } from '@payouts/db';
import { sql } from 'drizzle-orm';
import { PROVIDERS, planPayout } from '../tests/chaos/payloads.ts';
import { startProcessSystem } from '../tests/scale/process-system.ts';
import { createBenchDatabase, createTenant } from './postgres.ts';
import { benchPrefix, benchRedis, deletePrefix } from './redis.ts';
import { type BenchContext, fmt, round, row } from './results.ts';
import { INR_PAYOUT } from './system.ts';

const RATE = 10;
const PER_PROVIDER = 600;
const FAIL_SHARE = 0.05;
const REVERSE_SHARE = 0.03;
const DRAINING = 5_000;
const WAIT_MS = 15 * 60_000;

interface ProviderFigures {
  provider: string;
  payouts: number;
  settled: number;
  calls: number;
  byRoute: Record<string, number>;
  callsPerPayout: number;
  seconds: number;
  floorSeconds: number;
  ofFloor: number;
  rateLimited: number;
  maxPerSecond: number;
}

type Requests = { total: number; by_route: Record<string, number>; peak_per_second: number; rate_limited: number };

export async function run(ctx: BenchContext): Promise<void> {
  const database = await createBenchDatabase(ctx.adminUrl);
  const prefix = benchPrefix('budget');
  const logDir = mkdtempSync(join(tmpdir(), 'payouts-bench-budget-'));
  const redis = benchRedis(ctx.redisUrl);
  const rates = Object.fromEntries(
    ['RAZORPAYX', 'KRAYON', 'THAI_GATEWAY', 'DRUO'].map((p) => [`${p}_RATE_PER_SECOND`, String(RATE)]),
  );
  const system = await startProcessSystem({
    databaseUrl: database.url,
    redisUrl: ctx.redisUrl,
    prefix,
    workers: 1,
    reconcilers: 1,
    logDir,
    env: {
      ...rates,
      // The defaults a deployment runs with (the process system's test values are quicker).
      POLL_FIRST_DELAY_MS: '500',
      POLL_MAX_DELAY_MS: '60000',
      REVERSAL_WATCH_MS: '0',
      SWEEP_INTERVAL_MS: '60000',
      SWEEP_AFTER_MS: '600000',
    },
  });
  try {
    for (const provider of PROVIDERS) await system.sandboxConfig(provider, { rateLimitPerSecond: RATE });
    await system.sandboxConfig('razorpayx', { webhookUrl: `${system.apiUrl}/v1/webhooks/razorpayx` });
    const handle = await database.open(2);
    const big = 10n ** 15n;
    const first = await createTenant(handle.db, 'budget-runs', { INR: big, THB: big, USD: big, COP: big });

    // --- 600 payouts per provider, one batch run each -----------------------------------------
    const plans = Array.from({ length: PER_PROVIDER * PROVIDERS.length }, (_, i) =>
      planPayout(i, 'budget', FAIL_SHARE, REVERSE_SHARE),
    );
    const batches: Record<string, string> = {};
    for (const provider of PROVIDERS) {
      const res = await system.call(
        'POST',
        '/v1/payout-batches',
        { items: plans.filter((p) => p.provider === provider).map((p) => p.body) },
        first.key,
      );
      if (res.status !== 202)
        throw new Error(`${provider} batch: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      batches[provider] = res.body.id;
    }
    const figures: ProviderFigures[] = [];
    const deadline = Date.now() + WAIT_MS;
    const pending = new Set<string>(PROVIDERS);
    const settledOf = async (batchId: string) =>
      Number(
        rowsOf<{ n: number }>(
          await handle.db.execute(
            sql`select count(*)::int as n from payouts where batch_id = ${batchId} and status in ('processed','failed','reversed')`,
          ),
        )[0]?.n ?? 0,
      );
    while (pending.size > 0 && Date.now() < deadline) {
      for (const provider of [...pending]) {
        const batchId = batches[provider] as string;
        const settled = await settledOf(batchId);
        if (settled < PER_PROVIDER) continue;
        pending.delete(provider);
        figures.push(await providerFigures(system.sandboxUrl, handle.db, provider, batchId, settled));
        ctx.log(`  ${provider}: settled in ${figures.at(-1)?.seconds} s`);
      }
      if (system.unexpectedExits.length > 0) throw new Error(system.unexpectedExits.join('\n'));
      await sleep(500);
    }
    for (const provider of pending) {
      const batchId = batches[provider] as string;
      figures.push(await providerFigures(system.sandboxUrl, handle.db, provider, batchId, await settledOf(batchId)));
    }

    // --- A second tenant's single payout while a 5,000-item batch drains ------------------------
    const second = await createTenant(handle.db, 'budget-single');
    const drain = await system.call(
      'POST',
      '/v1/payout-batches',
      { items: Array.from({ length: DRAINING }, () => INR_PAYOUT) },
      first.key,
    );
    if (drain.status !== 202) throw new Error(`drain batch: ${drain.status}`);
    const sentOfDrain = async () =>
      Number(
        rowsOf<{ n: number }>(
          await handle.db.execute(
            sql`select count(*)::int as n from provider_submissions s join payouts p on p.id = s.payout_id where p.batch_id = ${drain.body.id}`,
          ),
        )[0]?.n ?? 0,
      );
    while ((await sentOfDrain()) < 50 && Date.now() < deadline) await sleep(250);
    const single = await system.call('POST', '/v1/payouts', INR_PAYOUT, second.key);
    if (single.status !== 202) throw new Error(`single payout: ${single.status}`);
    let singleFigures: { sentSeconds: number | null; settledSeconds: number | null } = {
      sentSeconds: null,
      settledSeconds: null,
    };
    const singleDeadline = Date.now() + 120_000;
    while (Date.now() < singleDeadline) {
      const [r] = rowsOf<{ sent: number | null; settled: number | null }>(
        await handle.db.execute(sql`
          select extract(epoch from s.first_at - p.created_at)::float8 as sent,
                 case when p.status in ('processed','failed','reversed')
                      then extract(epoch from p.updated_at - p.created_at)::float8 end as settled
          from payouts p left join provider_submissions s on s.payout_id = p.id where p.id = ${single.body.id}`),
      );
      singleFigures = { sentSeconds: r?.sent ?? null, settledSeconds: r?.settled ?? null };
      if (singleFigures.settledSeconds !== null) break;
      await sleep(250);
    }
    const drainedMeanwhile = await sentOfDrain();
    ctx.log(
      `  single payout of another tenant: sent after ${singleFigures.sentSeconds} s, settled after ${singleFigures.settledSeconds} s (${drainedMeanwhile} of ${DRAINING} batch items sent)`,
    );
    report(ctx, figures, singleFigures, drainedMeanwhile);
  } finally {
    await system.stop();
    await deletePrefix(redis, prefix).catch(() => {});
    redis.disconnect();
    await database.drop();
    rmSync(logDir, { recursive: true, force: true });
  }
}

async function providerFigures(
  sandboxUrl: string,
  db: Database,
  provider: string,
  batchId: string,
  settled: number,
): Promise<ProviderFigures> {
  const seen = (await (await fetch(`${sandboxUrl}/_admin/${provider}/requests`)).json()) as Requests;
  const [span] = rowsOf<{ seconds: number | null }>(
    await db.execute(sql`
      select extract(epoch from max(updated_at) filter (where status in ('processed','failed','reversed')) - min(created_at))::float8 as seconds
      from payouts where batch_id = ${batchId}`),
  );
  const seconds = round(Number(span?.seconds ?? 0), 1);
  const floorSeconds = PER_PROVIDER / RATE;
  return {
    provider,
    payouts: PER_PROVIDER,
    settled,
    calls: seen.total,
    byRoute: seen.by_route,
    callsPerPayout: settled > 0 ? round(seen.total / settled, 3) : Number.NaN,
    seconds,
    floorSeconds,
    ofFloor: round(seconds / floorSeconds, 2),
    rateLimited: seen.rate_limited,
    maxPerSecond: seen.peak_per_second,
  };
}

function report(
  ctx: BenchContext,
  figures: ProviderFigures[],
  single: { sentSeconds: number | null; settledSeconds: number | null },
  drainedMeanwhile: number,
): void {
  for (const f of figures) {
    const webhooks = f.provider === 'razorpayx';
    const settledAll = f.settled >= f.payouts;
    ctx.log(
      `  ${f.provider}: ${f.calls} calls for ${f.settled} settled (${f.callsPerPayout}/payout) ${JSON.stringify(f.byRoute)}; ${f.seconds} s = ${f.ofFloor} × floor; max ${f.maxPerSecond}/s, ${f.rateLimited} refused`,
    );
    ctx.rows.push(
      row({
        key: `budget.${f.provider}.calls_per_payout`,
        measurement: `provider budget: ${f.provider} calls per settled payout (${RATE}/s, ${f.payouts} payouts${webhooks ? ', webhooks' : ', no webhooks'})`,
        value: f.callsPerPayout,
        unit: 'calls',
        baselineValue: webhooks ? 2.98 : null,
        baselineLabel: webhooks ? 'before: lookups by id' : null,
        target: webhooks ? '≤ 1.2' : '—',
        met: webhooks ? settledAll && f.callsPerPayout <= 1.2 : null,
        details: { ...f },
      }),
      row({
        key: `budget.${f.provider}.of_floor`,
        measurement: `provider budget: ${f.provider} settle time ÷ (N / rate = ${f.floorSeconds} s)`,
        value: f.ofFloor,
        unit: '× floor',
        ours: `${fmt(f.ofFloor)} × (${f.seconds} s)${settledAll ? '' : ` — ${f.settled} of ${f.payouts} settled`}`,
        baselineValue: null,
        baselineLabel: null,
        target: webhooks ? '≤ 1.2' : '—',
        met: webhooks ? settledAll && f.ofFloor <= 1.2 : null,
      }),
    );
  }
  ctx.rows.push(
    row({
      key: 'budget.single_while_draining',
      measurement: `provider budget: another tenant's single RazorpayX payout sent while a ${DRAINING}-item batch drains`,
      value: single.sentSeconds === null ? null : round(single.sentSeconds, 2),
      unit: 's',
      ours:
        single.sentSeconds === null
          ? null
          : `sent after ${fmt(single.sentSeconds)} s, settled after ${single.settledSeconds === null ? '?' : fmt(single.settledSeconds)} s`,
      baselineValue: null,
      baselineLabel: null,
      target: '≤ 5 s',
      met: single.sentSeconds !== null && single.sentSeconds <= 5,
      details: { ...single, batchItemsSentMeanwhile: drainedMeanwhile },
    }),
  );
}
