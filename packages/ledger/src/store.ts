import { newId } from '@payouts/core';
import { type Executor, insertRows, insertRowsSql, ledgerAccounts, ledgerTransactions, rowsOf } from '@payouts/db';
import { inArray, sql } from 'drizzle-orm';
import type { AccountRef } from './accounts.ts';
import { assertBalanced, type TransactionSpec } from './postings.ts';

export interface LockedAccount {
  id: string;
  key: string;
  balance: bigint;
}

/**
 * Locks accounts (`FOR UPDATE`) in key order — the same order in every process, so two
 * reconcilers can never deadlock on each other's wallets — and returns their balances.
 * Missing accounts are created first, by an insert that locks nothing: creating them after
 * taking some locks would lock the new ones out of key order, which deadlocks against a
 * transaction that saw them all at once (measured: `pnpm bench` at 20 clients did).
 */
export async function lockAccounts(tx: Executor, refs: AccountRef[]): Promise<Map<string, LockedAccount>> {
  // Code-unit order, as a plain sort() of the keys.
  const inKeyOrder = [...new Map(refs.map((r) => [r.key, r])).values()].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  const keys = inKeyOrder.map((r) => r.key);
  if (keys.length === 0) return new Map();
  await createMissing(tx, inKeyOrder);
  const rows = await tx
    .select({ id: ledgerAccounts.id, key: ledgerAccounts.key, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(inArray(ledgerAccounts.key, keys))
    .orderBy(ledgerAccounts.key)
    .for('update');
  return new Map(rows.map((r) => [r.key, r]));
}

/** Inserts the accounts that do not exist yet; an existing one is left alone, unlocked. */
async function createMissing(tx: Executor, refs: AccountRef[]): Promise<void> {
  await insertRows(
    tx,
    ledgerAccounts,
    refs.map((r) => ({
      id: newId('ledgerAccount'),
      key: r.key,
      kind: r.kind,
      currency: r.currency,
      tenantId: r.tenantId ?? null,
      provider: r.provider ?? null,
    })),
    { onConflictDoNothing: ['key'] },
  );
}

/**
 * Posts many transactions in one database transaction (group commit). A transaction whose
 * idempotency key already exists is skipped, entries and all, so a retried or concurrent batch
 * can never post the same (payout, kind) twice. Balances move once per account per call, in one
 * statement. `locked` are accounts the caller already holds (`lockAccounts`).
 *
 * Without them (or when a spec touches another account) nothing is locked until the balances
 * move: the transactions and their entries are written first, against the accounts' ids (which
 * never change, so reading them needs no lock), and only then are the accounts locked, in key
 * order, and moved. On a hot wallet every batch waits for the one holding its accounts, so the
 * writes that need no account lock are kept out of that wait (docs/benchmarks.md, ledger): the
 * serial part is the balance UPDATE and the commit. The lock order is unchanged for the caller
 * (its own rows first, accounts last), and the whole is still one database transaction.
 * Returns the keys that were newly posted.
 */
export async function postTransactions(
  tx: Executor,
  specs: TransactionSpec[],
  locked?: Map<string, LockedAccount>,
): Promise<Set<string>> {
  if (specs.length === 0) return new Set();
  for (const s of specs) assertBalanced(s);
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.idempotencyKey)) throw new Error(`duplicate ledger key in one batch: ${s.idempotencyKey}`);
    seen.add(s.idempotencyKey);
  }
  const refs = specs.flatMap((s) => s.entries.map((e) => e.account));
  const held = locked !== undefined && refs.every((r) => locked.has(r.key));
  const accountIds = held ? idsOf(locked) : await resolveAccounts(tx, refs);
  const planned = specs.map((s) => ({ s, id: newId('ledgerTransaction') }));
  const entries: { transaction_id: string; account_id: string; amount: string }[] = [];
  for (const { s, id } of planned) {
    for (const e of s.entries) {
      // lockAccounts and resolveAccounts return every key they were given, and `locked` is used
      // only when it holds them all.
      const accountId = accountIds.get(e.account.key);
      if (!accountId) throw new Error(`ledger account ${e.account.key} was not found`);
      entries.push({ transaction_id: id, account_id: accountId, amount: e.amount.toString() });
    }
  }
  // One statement for both tables: the entries are inserted for the transactions the first insert
  // actually wrote (a key that exists already writes neither), so they can never disagree.
  const posted = new Set(
    rowsOf<{ idempotency_key: string }>(
      await tx.execute(sql`
        with t as (
          ${insertRowsSql(
            ledgerTransactions,
            planned.map(({ s, id }) => ({
              id,
              kind: s.kind,
              idempotencyKey: s.idempotencyKey,
              payoutId: s.payoutId ?? null,
              tenantId: s.tenantId ?? null,
              currency: s.currency,
              metadata: s.metadata ?? null,
            })),
            { onConflictDoNothing: ['idempotency_key'], returning: ['id', 'idempotency_key'] },
          )}
        ), e as (
          insert into ledger_entries (transaction_id, account_id, amount)
          select x.transaction_id, x.account_id, x.amount
          from jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) as x(transaction_id text, account_id text, amount bigint)
          join t on t.id = x.transaction_id
        )
        select idempotency_key from t`),
    ).map((r) => r.idempotency_key),
  );

  const deltas = new Map<string, bigint>();
  for (const { s } of planned) {
    if (!posted.has(s.idempotencyKey)) continue;
    for (const e of s.entries) {
      const id = accountIds.get(e.account.key) as string;
      deltas.set(id, (deltas.get(id) ?? 0n) + e.amount);
    }
  }
  const moved = [...deltas].filter(([, delta]) => delta !== 0n).map(([id, delta]) => ({ id, balance: delta }));
  if (moved.length === 0) return posted;
  // Taken in key order, as lockAccounts does, before the UPDATE (whose own row locks follow its
  // plan's order, which two batches could see differently).
  if (!held)
    await lockAccountIds(
      tx,
      moved.map((m) => m.id),
    );
  await tx.execute(sql`
    update ledger_accounts as a set balance = a.balance + x.balance
    from jsonb_to_recordset(${JSON.stringify(moved, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}::jsonb)
      as x(id text, balance bigint)
    where a.id = x.id`);
  return posted;
}

function idsOf(locked: Map<string, LockedAccount>): Map<string, string> {
  return new Map([...locked].map(([key, a]) => [key, a.id]));
}

/** The accounts' ids by key, creating the missing ones; locks nothing. */
async function resolveAccounts(tx: Executor, refs: AccountRef[]): Promise<Map<string, string>> {
  const unique = [...new Map(refs.map((r) => [r.key, r])).values()];
  await createMissing(tx, unique);
  const rows = await tx
    .select({ id: ledgerAccounts.id, key: ledgerAccounts.key })
    .from(ledgerAccounts)
    .where(
      inArray(
        ledgerAccounts.key,
        unique.map((r) => r.key),
      ),
    );
  return new Map(rows.map((r) => [r.key, r.id]));
}

/** Locks accounts by id, in key order (the order of `lockAccounts`). */
async function lockAccountIds(tx: Executor, ids: string[]): Promise<void> {
  await tx
    .select({ id: ledgerAccounts.id })
    .from(ledgerAccounts)
    .where(inArray(ledgerAccounts.id, ids))
    .orderBy(ledgerAccounts.key)
    .for('update');
}
