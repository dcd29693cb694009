/**
 * 2. Ledger postings on ONE hot wallet (every payout of one tenant, one currency):
 *  (a) the baseline — one database transaction per payout: lock the accounts, post the hold, then
 *      the settlement, through @payouts/ledger (20 clients at once);
 *  (b) ours — the reconciler's real group-commit path, `applyEvents`, on batches of 500
 *      `payout.report … processed` events for reserved payouts (holds placed beforehand), two
 *      batches at once as RECONCILER_CONCURRENT_BATCHES defaults to.
 * Target (docs/benchmarks.md): ≥ 20,000 postings/s and ≥ 18 × (a).
 */
import { performance } from 'node:perf_hooks';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Currency, ProviderId } from '@payouts/core';
import { newId } from '@payouts/core';
import { payouts } from '@payouts/db';
import {
  accounts,
  holdTransaction,
  lockAccounts,
  type PayoutMoney,
  postTransaction,
  postTransactions,
} from '@payouts/ledger';
import { applyEvents, type ReconcilerEvent } from '@payouts/reconciler';
import { must } from '@payouts/testing';
import { eq, inArray, sql } from 'drizzle-orm';
import { Meter, usageText } from './meter.ts';
import { createBenchDatabase, createTenant, rawClient } from './postgres.ts';
import { benchRedis } from './redis.ts';
import { type BenchContext, round, row } from './results.ts';

const PER_PAYOUT_CLIENTS = 20;
const PER_PAYOUT_SECONDS = 5;
const EVENTS = 20_000;
const BATCH = 500;
const CONCURRENT_BATCHES = 2;
const SMALL_BATCH = 5;
const SMALL_BATCHES = 21;
const AMOUNT = 50_000n;
const FEE_RESERVE = 3_000n;
const FEES = 500n;
const TAX = 90n;

/** The postgres-js client with what the raw COPY baseline needs. */
interface CopyTx {
  unsafe<T = Record<string, unknown>[]>(
    query: string,
    params?: unknown[],
  ): Promise<T> & { writable(): Promise<Writable> };
}
interface CopySql extends CopyTx {
  begin<T>(fn: (tx: CopyTx) => Promise<T>): Promise<T>;
}

/** COPY … FROM STDIN of text-format lines. */
async function copy(tx: CopyTx, statement: string, lines: string[]): Promise<void> {
  const writable = await tx.unsafe(statement).writable();
  await pipeline(Readable.from([lines.join('')]), writable);
}

export async function run(ctx: BenchContext): Promise<void> {
  const database = await createBenchDatabase(ctx.adminUrl);
  const redis = benchRedis(ctx.redisUrl);
  const meter = new Meter(redis, database.stats);
  try {
    const handle = await database.open(PER_PAYOUT_CLIENTS);
    const db = handle.db;
    const { tenantId } = await createTenant(db, 'ledger-bench');
    const currency: Currency = 'INR';
    const provider: ProviderId = 'razorpayx';
    const money = (id: string): PayoutMoney => ({
      id,
      tenantId,
      provider,
      currency,
      amount: AMOUNT,
      feeReserve: FEE_RESERVE,
    });
    const refs = [
      accounts.available(tenantId, currency),
      accounts.held(tenantId, currency),
      accounts.clearing(provider, currency),
      accounts.fees(provider, currency),
      accounts.tax(provider, currency),
    ];

    // (a) One transaction per payout.
    let perPayout = 0;
    const deadline = performance.now() + PER_PAYOUT_SECONDS * 1000;
    await meter.start();
    let t = performance.now();
    await Promise.all(
      Array.from({ length: PER_PAYOUT_CLIENTS }, async () => {
        while (performance.now() < deadline) {
          const p = money(newId('payout'));
          await db.transaction(async (tx) => {
            await lockAccounts(tx, refs);
            await postTransactions(tx, [holdTransaction(p)]);
            await postTransactions(tx, [postTransaction(p, FEES, TAX)]);
          });
          perPayout++;
        }
      }),
    );
    const perPayoutS = (performance.now() - t) / 1000;
    const perPayoutUsage = await meter.stop();
    const perPayoutRate = perPayout / perPayoutS;
    ctx.baselines.set('ledger.perPayout', perPayoutRate);
    ctx.log(`  per-payout transaction: ${Math.round(perPayoutRate)}/s — ${usageText(perPayoutUsage)}`);

    // (b) Setup: reserved payouts with their holds, as the reconciler leaves them.
    const batchDb = (await database.open(10)).db;
    const ids = Array.from({ length: EVENTS + BATCH }, () => newId('payout'));
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      await batchDb.transaction(async (tx) => {
        await tx.insert(payouts).values(
          slice.map((id): typeof payouts.$inferInsert => ({
            id,
            tenantId,
            status: 'reserved',
            amount: AMOUNT,
            currency,
            provider,
            method: 'IMPS',
            purpose: 'payout',
            narration: 'Acme salary',
            beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
            providerIdempotencyKey: id,
            feeReserve: FEE_RESERVE,
          })),
        );
        await postTransactions(
          tx,
          slice.map((id) => holdTransaction(money(id))),
        );
      });
    }
    await rawClient(handle).unsafe('analyze');
    const event = (payoutId: string, i: number): ReconcilerEvent => ({
      name: 'payout.report',
      data: {
        payoutId,
        outcome: 'processed',
        providerPayoutId: `pout_${i.toString(36).padStart(14, '0')}`,
        rawStatus: 'processed',
        fees: (FEES + TAX).toString(),
        tax: TAX.toString(),
        utr: `UTR${String(i).padStart(12, '0')}`,
        failure: null,
        queuedReason: null,
        source: 'worker',
        observedAt: Date.now(),
      },
    });
    const batches: ReconcilerEvent[][] = [];
    for (let i = 0; i < ids.length; i += BATCH) batches.push(ids.slice(i, i + BATCH).map((id, j) => event(id, i + j)));
    // One batch to warm up (JIT, plan cache), not counted.
    await applyEvents(batchDb, must(batches.shift(), 'the warm-up batch'));

    let applied = 0;
    let next = 0;
    await meter.start();
    t = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT_BATCHES }, async () => {
        while (next < batches.length) {
          const batch = must(batches[next++], `batch ${next}`);
          const outcome = await applyEvents(batchDb, batch);
          applied += outcome.results.filter((r) => r.outcome === 'applied').length;
        }
      }),
    );
    const batchedS = (performance.now() - t) / 1000;
    const batchedUsage = await meter.stop();
    const batchedRate = EVENTS / batchedS;
    const [{ processed } = { processed: 0 }] = await batchDb
      .select({ processed: sql<number>`count(*)::int` })
      .from(payouts)
      .where(sql`status = 'processed'`);
    if (applied !== EVENTS) throw new Error(`applyEvents applied ${applied} of ${EVENTS} events`);
    const msPerBatch = (batchedS * 1000 * CONCURRENT_BATCHES) / (EVENTS / BATCH);
    ctx.log(
      `  applyEvents batches of ${BATCH}: ${Math.round(batchedRate)}/s, ${msPerBatch.toFixed(0)} ms a batch — ${usageText(batchedUsage)}`,
    );

    // The floor for the same writes: what one batch of 500 `processed` reports writes (500 payout
    // UPDATEs with every indexed column of a transition, 500 history rows, 500 ledger transactions,
    // 2,500 entries, the 5 balances), written with no logic at all: one UPDATE from arrays, three
    // COPYs and the balance UPDATE, one transaction per batch, two at once like (b).
    const rawSql = rawClient(handle) as unknown as CopySql;
    const [accountRow] = await rawSql.unsafe<{ ids: Record<string, string> }[]>(
      `select jsonb_object_agg(key, id) as ids from ledger_accounts where key = any($1)`,
      [refs.map((r) => r.key)],
    );
    const accountIds = refs.map((r) => must(accountRow?.ids[r.key], `account ${r.key}`));
    const postAmounts = [-(AMOUNT + FEE_RESERVE), AMOUNT, FEES + TAX, TAX, FEE_RESERVE - FEES - 2n * TAX];
    // held, clearing, fees, tax, available, in `refs` order (available first there)
    const amountsByAccount = [postAmounts[4], postAmounts[0], postAmounts[1], postAmounts[2], postAmounts[3]];
    const rawBatches = Math.floor(EVENTS / BATCH);
    /** Where a raw batch's time goes, summed over batches (ms, wall time as the client sees it). */
    const rawSplit = { payouts: 0, events: 0, transactions: 0, entries: 0, balances: 0, commit: 0 };
    let rawNext = 0;
    await meter.start();
    t = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT_BATCHES }, async () => {
        while (rawNext < rawBatches) {
          const b = rawNext++;
          const slice = ids.slice(b * BATCH, (b + 1) * BATCH);
          let mark = performance.now();
          const lap = (k: keyof typeof rawSplit) => {
            const now = performance.now();
            rawSplit[k] += now - mark;
            mark = now;
          };
          await rawSql.begin(async (tx) => {
            await tx.unsafe(
              `update payouts p set status = 'processed', provider_payout_id = x.ppid, provider_status = 'processed',
                 utr = x.utr, fees = 590, tax = 90, version = p.version + 1, history_hash = x.hash, updated_at = now()
               from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as x(id, ppid, utr, hash) where p.id = x.id`,
              [slice, slice.map((id) => `raw_${id}`), slice.map((id) => `RAW${id}`), slice.map((id) => `${id}${id}`)],
            );
            lap('payouts');
            const txIds = slice.map(() => newId('ledgerTransaction'));
            await copy(
              tx,
              'copy ledger_transactions (id, kind, idempotency_key, payout_id, tenant_id, currency, metadata) from stdin',
              slice.map(
                (id, i) =>
                  `${txIds[i]}\tpost\traw:${id}:post\t${id}\t${tenantId}\t${currency}\t{"fees": "590", "tax": "90"}\n`,
              ),
            );
            lap('transactions');
            await copy(
              tx,
              'copy ledger_entries (transaction_id, account_id, amount) from stdin',
              txIds.flatMap((txId) => accountIds.map((a, k) => `${txId}\t${a}\t${amountsByAccount[k]}\n`)),
            );
            lap('entries');
            await copy(
              tx,
              'copy payout_events (payout_id, from_status, to_status, applied, source, detail, prev_hash, hash) from stdin',
              slice.map(
                (id) =>
                  `${id}\tprocessed\tprocessed\tt\tworker\t{"rawStatus": "processed", "providerPayoutId": "raw_${id}"}\t${id}\t${id}${id}\n`,
              ),
            );
            lap('events');
            await tx.unsafe('select id from ledger_accounts where id = any($1) order by key for update', [accountIds]);
            await tx.unsafe(
              `update ledger_accounts a set balance = a.balance + x.delta
               from unnest($1::text[], $2::bigint[]) as x(id, delta) where a.id = x.id`,
              [accountIds, amountsByAccount.map((v) => String(BigInt(v ?? 0n) * BigInt(BATCH)))],
            );
            lap('balances');
          });
          lap('commit');
        }
      }),
    );
    const rawS = (performance.now() - t) / 1000;
    const rawUsage = await meter.stop();
    const rawRate = (rawBatches * BATCH) / rawS;
    ctx.log(`  raw COPY of the same rows: ${Math.round(rawRate)} postings/s — ${usageText(rawUsage)}`);
    const rawTotal = Object.values(rawSplit).reduce((a, b) => a + b, 0);
    const rawShares = Object.fromEntries(
      Object.entries(rawSplit).map(([k, v]) => [k, round((v / rawTotal) * 100, 0)]),
    ) as Record<keyof typeof rawSplit, number>;
    ctx.log(
      `  raw batch split (% of statement time): ${Object.entries(rawShares)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ')}`,
    );
    const perPosting = (pct: number | null, seconds: number, n: number) =>
      pct === null ? null : round(((pct / 100) * seconds * 1e6) / n, 1);
    const cpu = {
      postgresUsPerPosting: perPosting(batchedUsage.postgresCpuPct, batchedS, EVENTS),
      nodeUsPerPosting: perPosting(batchedUsage.nodeCpuPct, batchedS, EVENTS),
      rawPostgresUsPerPosting: perPosting(rawUsage.postgresCpuPct, rawS, rawBatches * BATCH),
      rawNodeUsPerPosting: perPosting(rawUsage.nodeCpuPct, rawS, rawBatches * BATCH),
    };
    ctx.log(
      `  CPU a posting: applyEvents postgres ${cpu.postgresUsPerPosting} µs + node ${cpu.nodeUsPerPosting} µs; ` +
        `raw COPY postgres ${cpu.rawPostgresUsPerPosting} µs + node ${cpu.rawNodeUsPerPosting} µs`,
    );

    // Why Batch.write() sends one UPDATE … FROM (VALUES …): the 500 single-row UPDATEs it used to
    // send one after another, timed against the one statement, on the same (processed) payouts.
    const sample = await batchDb
      .select()
      .from(payouts)
      .where(inArray(payouts.id, ids.slice(BATCH, 2 * BATCH)));
    const perRow: number[] = [];
    const oneStatement: number[] = [];
    const raw = rawClient(handle);
    const values = sample
      .map((_, i) => {
        const b = i * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::bigint, $${b + 6}::int)`;
      })
      .join(', ');
    const params = sample.flatMap((r) => [
      r.id,
      r.status,
      r.providerPayoutId,
      r.utr,
      String(r.fees ?? 0n),
      String(r.version),
    ]);
    for (let k = 0; k < 3; k++) {
      let t0 = performance.now();
      await batchDb.transaction(async (tx) => {
        for (const r of sample) {
          await tx
            .update(payouts)
            .set({
              status: r.status,
              queuedReason: r.queuedReason,
              providerPayoutId: r.providerPayoutId,
              providerStatus: r.providerStatus,
              utr: r.utr,
              fees: r.fees,
              tax: r.tax,
              failureCode: r.failureCode,
              failureMessage: r.failureMessage,
              version: r.version,
              updatedAt: r.updatedAt,
            })
            .where(eq(payouts.id, r.id));
        }
      });
      perRow.push(performance.now() - t0);
      t0 = performance.now();
      await raw.unsafe(
        `update payouts p set status = v.status, provider_payout_id = v.ppid, utr = v.utr, fees = v.fees,
           version = v.version, updated_at = now()
         from (values ${values}) as v(id, status, ppid, utr, fees, version) where p.id = v.id`,
        params,
      );
      oneStatement.push(performance.now() - t0);
    }
    const median = (xs: number[]) => must([...xs].sort((a, b) => a - b)[1], 'the median of three timings');
    const updatesMs = median(perRow);
    const oneUpdateMs = median(oneStatement);
    ctx.log(
      `  ${sample.length} single-row UPDATEs (as Batch.write sent them before): ${updatesMs.toFixed(0)} ms; ` +
        `one UPDATE … FROM (VALUES …) of the same rows: ${oneUpdateMs.toFixed(0)} ms`,
    );

    // A small batch, as the reconciler runs at low load: 5 `payout.accepted` events (hold + reserve).
    const fresh = Array.from({ length: SMALL_BATCHES * SMALL_BATCH }, () => newId('payout'));
    await batchDb.insert(payouts).values(
      fresh.map((id): typeof payouts.$inferInsert => ({
        id,
        tenantId,
        status: 'accepted',
        amount: AMOUNT,
        currency,
        provider,
        method: 'IMPS',
        beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
        providerIdempotencyKey: id,
        feeReserve: FEE_RESERVE,
      })),
    );
    const small: number[] = [];
    for (let i = 0; i < fresh.length; i += SMALL_BATCH) {
      const t0 = performance.now();
      await applyEvents(
        batchDb,
        fresh.slice(i, i + SMALL_BATCH).map((payoutId) => ({ name: 'payout.accepted', data: { payoutId } })),
      );
      small.push(performance.now() - t0);
    }
    const smallP50 = must([...small].sort((a, b) => a - b)[Math.floor(small.length / 2)], 'the middle small batch');
    ctx.log(`  applyEvents of ${SMALL_BATCH} payout.accepted events, one batch alone: p50 ${smallP50.toFixed(1)} ms`);

    ctx.rows.push(
      row({
        key: 'ledger.rawCopy',
        measurement: 'ledger: raw COPY of the same rows (payout UPDATE, events, transactions, entries, balances)',
        value: null,
        unit: 'postings/s',
        baselineValue: rawRate,
        baselineLabel: 'postings/s',
        target: '—',
        met: null,
        details: {
          batches: rawBatches,
          batch: BATCH,
          concurrentBatches: CONCURRENT_BATCHES,
          seconds: round(rawS, 3),
          usage: rawUsage,
        },
      }),
      row({
        key: 'ledger.perPayout',
        measurement: 'ledger: one transaction per payout (hold + post), hot wallet',
        value: null,
        unit: 'payouts/s',
        baselineValue: perPayoutRate,
        baselineLabel: 'payouts/s',
        target: 'reference ≈ 1,100/s',
        met: null,
        details: {
          clients: PER_PAYOUT_CLIENTS,
          payouts: perPayout,
          seconds: round(perPayoutS, 3),
          usage: perPayoutUsage,
        },
      }),
      row({
        key: 'ledger.batched',
        measurement: `ledger: applyEvents, ${BATCH} processed reports/txn, hot wallet`,
        value: batchedRate,
        unit: 'postings/s',
        baselineValue: perPayoutRate,
        baselineLabel: '1 txn/payout',
        target: '≥ 20,000/s and ≥ 18×',
        met: batchedRate >= 20_000 && batchedRate / perPayoutRate >= 18,
        details: {
          events: EVENTS,
          batch: BATCH,
          concurrentBatches: CONCURRENT_BATCHES,
          seconds: round(batchedS, 3),
          processedInDb: processed,
          msPerBatch: round(msPerBatch, 1),
          payoutUpdatesOneByOneMs: round(updatesMs, 1),
          payoutUpdatesOneStatementMs: round(oneUpdateMs, 1),
          smallBatch: { events: SMALL_BATCH, batches: SMALL_BATCHES, p50Ms: round(smallP50, 2) },
          cpu,
          usage: batchedUsage,
        },
      }),
    );
  } finally {
    redis.disconnect();
    await database.drop();
  }
}
