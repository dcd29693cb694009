import type { Currency } from '@payouts/core';
import { type Executor, rowsOf } from '@payouts/db';
import { sql } from 'drizzle-orm';

export interface LedgerReport {
  ok: boolean;
  problems: string[];
  totals: { currency: string; sum: bigint }[];
}

/**
 * The ledger's invariants (docs/architecture.md#the-ledger), checked from the entries themselves:
 * every transaction sums to zero; every entry names an existing transaction and account; every
 * account's balance equals the sum of its entries; no
 * wallet is below zero or beyond JSON's exact integers; held equals the sum of open holds; no
 * payout is both posted and voided (in one hold cycle: a payout replayed out of `failed` holds again).
 */
export async function verifyLedger(db: Executor): Promise<LedgerReport> {
  const problems: string[] = [];
  const q = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await db.execute(query));

  for (const r of await q<{ id: string; kind: string; sum: string }>(sql`
    select t.id, t.kind, sum(e.amount)::text as sum from ledger_transactions t
    left join ledger_entries e on e.transaction_id = t.id
    group by t.id, t.kind having coalesce(sum(e.amount), 0) <> 0`)) {
    problems.push(`transaction ${r.id} (${r.kind}) sums to ${r.sum}`);
  }
  for (const r of await q<{ key: string; balance: string; sum: string }>(sql`
    select a.key, a.balance::text, coalesce(sum(e.amount), 0)::text as sum from ledger_accounts a
    left join ledger_entries e on e.account_id = a.id
    group by a.id having a.balance <> coalesce(sum(e.amount), 0)`)) {
    problems.push(`account ${r.key} balance ${r.balance} but entries sum to ${r.sum}`);
  }
  // Entries carry no foreign keys (the schema says why): one naming a transaction or an account
  // that does not exist would escape both sums above, so it is named here.
  for (const r of await q<{ id: string; transaction_id: string; account_id: string }>(sql`
    select e.id::text, e.transaction_id, e.account_id from ledger_entries e
    where not exists (select 1 from ledger_transactions t where t.id = e.transaction_id)
       or not exists (select 1 from ledger_accounts a where a.id = e.account_id)`)) {
    problems.push(
      `entry ${r.id} names transaction ${r.transaction_id} and account ${r.account_id}, one of which does not exist`,
    );
  }
  for (const r of await q<{ key: string; balance: string }>(sql`
    select key, balance::text from ledger_accounts where kind in ('wallet_available', 'wallet_held') and balance < 0`)) {
    problems.push(`wallet ${r.key} is negative: ${r.balance}`);
  }
  // Amounts are limited (MAX_AMOUNT) so that no wallet gets here; one that did (a database from
  // before the limit, or edited by hand) is read back as a string, and named here to be corrected.
  for (const r of await q<{ key: string; balance: string }>(sql`
    select key, balance::text from ledger_accounts
    where kind in ('wallet_available', 'wallet_held') and balance > ${Number.MAX_SAFE_INTEGER}::bigint`)) {
    problems.push(`wallet ${r.key} holds ${r.balance}, beyond 2^53 − 1 (the largest exact JSON integer)`);
  }
  for (const r of await q<{ key: string; balance: string; open: string }>(sql`
    with open_holds as (
      select h.tenant_id, h.currency, sum(e.amount) as amount
      from ledger_transactions h
      join ledger_entries e on e.transaction_id = h.id
      join ledger_accounts a on a.id = e.account_id and a.kind = 'wallet_held'
      where h.kind = 'hold'
        -- Closed by the post or void of its own cycle (a payout replayed out of failed holds again,
        -- its keys suffixed :replay<n>: postings.ts).
        and not exists (
          select 1 from ledger_transactions c
          where c.payout_id = h.payout_id and c.kind in ('post', 'void')
            and c.idempotency_key in (replace(h.idempotency_key, ':hold', ':post'), replace(h.idempotency_key, ':hold', ':void')))
      group by h.tenant_id, h.currency)
    select a.key, a.balance::text, coalesce(o.amount, 0)::text as open from ledger_accounts a
    left join open_holds o on o.tenant_id = a.tenant_id and o.currency = a.currency
    where a.kind = 'wallet_held' and a.balance <> coalesce(o.amount, 0)`)) {
    problems.push(`held ${r.key} is ${r.balance} but open holds sum to ${r.open}`);
  }
  for (const r of await q<{ payout_id: string }>(sql`
    select payout_id from ledger_transactions where kind in ('post', 'void') and payout_id is not null
    group by payout_id, substring(idempotency_key from ':replay[0-9]+$') having count(*) > 1`)) {
    problems.push(`payout ${r.payout_id} was both posted and voided (in one hold cycle)`);
  }
  const totals = (
    await q<{ currency: string; sum: string }>(sql`
      select t.currency, coalesce(sum(e.amount), 0)::text as sum from ledger_transactions t
      join ledger_entries e on e.transaction_id = t.id group by t.currency order by t.currency`)
  ).map((r) => ({ currency: r.currency, sum: BigInt(r.sum) }));
  for (const t of totals) if (t.sum !== 0n) problems.push(`ledger in ${t.currency} sums to ${t.sum}`);
  return { ok: problems.length === 0, problems, totals };
}

export interface WalletBalance {
  currency: Currency;
  available: bigint;
  held: bigint;
}

export async function walletBalances(db: Executor, tenantId: string): Promise<WalletBalance[]> {
  // ledger_accounts.currency only ever holds a Currency: accounts are created from typed postings.
  const rows = rowsOf<{ currency: Currency; kind: string; balance: string | bigint }>(
    await db.execute(sql`
      select currency, kind, balance from ledger_accounts
      where tenant_id = ${tenantId} and kind in ('wallet_available', 'wallet_held') order by currency`),
  );
  const byCurrency = new Map<Currency, WalletBalance>();
  for (const r of rows) {
    const w = byCurrency.get(r.currency) ?? { currency: r.currency, available: 0n, held: 0n };
    if (r.kind === 'wallet_available') w.available = BigInt(r.balance);
    else w.held = BigInt(r.balance);
    byCurrency.set(r.currency, w);
  }
  return [...byCurrency.values()];
}
