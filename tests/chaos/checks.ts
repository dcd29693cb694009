/**
 * The run's invariants, read from Postgres and from the simulator's own records once every payout
 * should be final (see harness.ts for the list); each broken one is a violation in the report.
 */
import { FINAL_STATUSES } from '@payouts/core';
import { type Database, payoutEvents, payouts } from '@payouts/db';
import { verifyLedger, walletBalances } from '@payouts/ledger';
import { http, must } from '@payouts/testing';
import { asc, inArray } from 'drizzle-orm';
import { type AcceptedPayout, CURRENCIES, PROVIDERS, type Provider } from './payloads.ts';
import type { ChaosReport } from './report.ts';

const isFinal = (status: string) => (FINAL_STATUSES as ReadonlySet<string>).has(status);

interface ProviderRow {
  id: string;
  status: string;
  reference: string | null;
  idempotency_key: string | null;
  amount: number;
  currency: string;
  payout: unknown;
}

/** A provider-side status, in our words: did it pay, did it return, did it fail, or is it still going. */
function providerOutcome(status: string): 'processed' | 'reversed' | 'failed' | 'pending' {
  const s = status.toLowerCase();
  if (['processed', 'completed', 'successful', 'success', 'paid'].includes(s)) return 'processed';
  if (['reversed', 'returned', 'refunded'].includes(s)) return 'reversed';
  if (['failed', 'declined', 'rejected', 'cancelled', 'canceled', 'expired', 'error'].includes(s)) return 'failed';
  return 'pending';
}

/** DRUO declines a payout its float cannot cover: a dead attempt that never paid. */
function isFundsDecline(provider: Provider, row: ProviderRow): boolean {
  return provider === 'druo' && row.status === 'DECLINED' && /INSUFF?IC+IENT_FUNDS/.test(JSON.stringify(row.payout));
}

export interface CheckInput {
  db: Database;
  sandboxUrl: string;
  accepted: AcceptedPayout[];
  tenantId: string;
  /** What each currency's wallet was funded with. */
  funded: Record<string, bigint>;
}

/** Checks 1–5 over what the run left, recording each violation (and the suspects' histories) in `report`. */
export async function checkInvariants(
  { db, sandboxUrl, accepted, tenantId, funded }: CheckInput,
  report: ChaosReport,
): Promise<void> {
  const violation = (message: string) => {
    report.violations.push(message);
  };
  const ids = accepted.map((a) => a.id);
  const rows = await db
    .select({
      id: payouts.id,
      status: payouts.status,
      amount: payouts.amount,
      currency: payouts.currency,
      provider: payouts.provider,
      fees: payouts.fees,
      tax: payouts.tax,
      providerPayoutId: payouts.providerPayoutId,
    })
    .from(payouts);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const idSet = new Set(ids);
  if (idSet.size !== ids.length) violation(`the API returned ${ids.length - idSet.size} payout ids twice`);

  // 1. None lost, none extra.
  for (const a of accepted) {
    const row = byId.get(a.id);
    if (!row) {
      report.lost++;
      if (report.lost <= 10) violation(`lost: payout ${a.id} (#${a.plan.index}) was accepted but is not in Postgres`);
      continue;
    }
    if (row.amount !== BigInt(a.plan.amount) || row.currency !== a.plan.currency || row.provider !== a.plan.provider)
      violation(`payout ${a.id} stored as ${row.amount} ${row.currency} ${row.provider}, asked ${a.plan.amount}`);
    report.byProvider[row.provider] = (report.byProvider[row.provider] ?? 0) + 1;
    report.byCurrency[row.currency] = (report.byCurrency[row.currency] ?? 0) + 1;
  }
  if (report.lost > 10) violation(`lost: ${report.lost} payouts in all`);
  report.extraInDatabase = rows.filter((r) => !idSet.has(r.id)).length;
  if (report.extraInDatabase > 0)
    violation(`${report.extraInDatabase} payouts in Postgres that the API never returned (duplicate ingestion)`);
  if (rows.length !== idSet.size) violation(`Postgres holds ${rows.length} payouts for ${idSet.size} accepted ids`);

  // 2. Every payout final.
  for (const r of rows) report.states[r.status] = (report.states[r.status] ?? 0) + 1;
  const open = rows.filter((r) => !isFinal(r.status));
  report.notFinal = open.length;
  if (open.length > 0) {
    violation(
      `${open.length} payouts not final: ${Object.entries(report.states)
        .filter(([s]) => !isFinal(s))
        .map(([s, n]) => `${s}=${n}`)
        .join(', ')}`,
    );
  }

  // 3. Provider-side payouts: ≤ 1 per payout, exactly 1 when processed/reversed, none unaccounted.
  const providerRows = new Map<string, { provider: Provider; row: ProviderRow }[]>();
  for (const provider of PROVIDERS) {
    const res = await http(`${sandboxUrl}/_admin/${provider}/payouts`, { timeoutMs: 60_000 });
    if (res.status !== 200) throw new Error(`sandbox ${provider} payouts: ${res.status}`);
    const list = res.body.data as ProviderRow[];
    report.providerPayouts[provider] = list.length;
    let unaccounted = 0;
    for (const row of list) {
      const owner = [row.idempotency_key, row.reference].find((k) => k != null && byId.has(k));
      const payout = owner ? byId.get(owner) : undefined;
      if (!owner || !payout) {
        unaccounted++;
        if (unaccounted <= 5)
          violation(`${provider} payout ${row.id} (reference ${row.reference}) belongs to no payout of ours`);
        continue;
      }
      if (payout.provider !== provider)
        violation(`payout ${owner} (${payout.provider}) found at ${provider} as ${row.id}`);
      if (isFundsDecline(provider, row)) continue;
      providerRows.set(owner, [...(providerRows.get(owner) ?? []), { provider, row }]);
    }
    report.unaccountedAtProviders += unaccounted;
  }
  const suspects: string[] = [];
  for (const r of rows) {
    const at = providerRows.get(r.id) ?? [];
    if (at.length > 1) {
      report.duplicatedAtProviders++;
      suspects.push(r.id);
      violation(
        `duplicate at ${r.provider}: payout ${r.id} (${r.status}) has ${at.length} provider payouts: ${at
          .map((x) => `${x.row.id}=${x.row.status}`)
          .join(', ')}`,
      );
    }
    if ((r.status === 'processed' || r.status === 'reversed') && at.length === 0) {
      report.missingAtProviders++;
      suspects.push(r.id);
      violation(`payout ${r.id} is ${r.status} but ${r.provider} has no payout for it`);
    }
    // The provider's final word must agree with ours: otherwise money moved that the ledger did not record.
    const only = at.length === 1 ? at[0] : undefined;
    if (only && isFinal(r.status)) {
      const theirs = providerOutcome(only.row.status);
      const ours = r.status === 'processed' || r.status === 'reversed' ? r.status : 'failed';
      if (theirs !== ours) {
        report.stateMismatches++;
        suspects.push(r.id);
        violation(`payout ${r.id} is ${r.status} here but ${only.row.status} at ${r.provider} (${only.row.id})`);
      }
    }
  }

  // 4. The ledger verifies and balances to the unit.
  const ledger = await verifyLedger(db);
  report.ledgerProblems = ledger.problems;
  for (const t of ledger.totals) report.ledgerTotals[t.currency] = t.sum.toString();
  for (const p of ledger.problems.slice(0, 20)) violation(`ledger: ${p}`);
  for (const t of ledger.totals) if (t.sum !== 0n) violation(`ledger in ${t.currency} sums to ${t.sum}, not 0`);

  // 5. Wallets: nothing held; available = funded − Σ processed (amount + fees + tax).
  const spent: Record<string, bigint> = {};
  for (const r of rows) {
    if (r.status !== 'processed') continue;
    spent[r.currency] = (spent[r.currency] ?? 0n) + r.amount + (r.fees ?? 0n) + (r.tax ?? 0n);
  }
  const balances = await walletBalances(db, tenantId);
  for (const currency of CURRENCIES) {
    const b = balances.find((x) => x.currency === currency) ?? { available: 0n, held: 0n };
    const fundedWith = must(funded[currency], `the funding in ${currency}`);
    const expected = fundedWith - (spent[currency] ?? 0n);
    report.wallets[currency] = {
      funded: fundedWith.toString(),
      expectedAvailable: expected.toString(),
      available: b.available.toString(),
      held: b.held.toString(),
      difference: (b.available - expected).toString(),
    };
    if (b.held !== 0n) violation(`${currency} wallet still holds ${b.held}`);
    if (b.available !== expected)
      violation(`${currency} wallet available ${b.available}, expected ${expected} (off by ${b.available - expected})`);
  }

  // What the suspects went through, for whoever reads the failure.
  if (suspects.length > 0) {
    const sample = [...new Set(suspects)].slice(0, 5);
    const events = await db
      .select()
      .from(payoutEvents)
      .where(inArray(payoutEvents.payoutId, sample))
      .orderBy(asc(payoutEvents.id));
    for (const id of sample) {
      const history = events
        .filter((e) => e.payoutId === id)
        .map(
          (e) =>
            `${e.createdAt.toISOString().slice(11, 23)} ${e.fromStatus ?? '∅'}→${e.toStatus}${e.applied ? '' : ' (ignored)'} by ${e.source}${e.detail ? ` ${JSON.stringify(e.detail).slice(0, 160)}` : ''}`,
        );
      report.warnings.push(`history of ${id}:\n    ${history.join('\n    ')}`);
    }
  }
  if (open.length > 0) {
    const sample = open.slice(0, 5).map((r) => r.id);
    const events = await db
      .select()
      .from(payoutEvents)
      .where(inArray(payoutEvents.payoutId, sample))
      .orderBy(asc(payoutEvents.id));
    for (const id of sample) {
      const history = events
        .filter((e) => e.payoutId === id)
        .map((e) => `${e.fromStatus ?? '∅'}→${e.toStatus}${e.applied ? '' : ' (ignored)'} by ${e.source}`);
      report.warnings.push(`stuck ${id} (${byId.get(id)?.status}): ${history.join(', ')}`);
    }
  }
}
