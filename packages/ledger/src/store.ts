import { newId } from '@payouts/core';
import { type Executor, ledgerAccounts, ledgerEntries, ledgerTransactions } from '@payouts/db';
import { inArray, sql } from 'drizzle-orm';
import type { AccountRef } from './accounts.ts';
import { assertBalanced, type TransactionSpec } from './postings.ts';

export interface LockedAccount {
  id: string;
  key: string;
  balance: bigint;
}

/** Creates any missing accounts (a no-op for existing ones) and returns them by key. */
export async function ensureAccounts(tx: Executor, refs: AccountRef[]): Promise<Map<string, LockedAccount>> {
  const unique = new Map(refs.map((r) => [r.key, r]));
  if (unique.size === 0) return new Map();
  await tx
    .insert(ledgerAccounts)
    .values(
      [...unique.values()].map((r) => ({
        id: newId('ledgerAccount'),
        key: r.key,
        kind: r.kind,
        currency: r.currency,
        tenantId: r.tenantId ?? null,
        provider: r.provider ?? null,
      })),
    )
    .onConflictDoNothing({ target: ledgerAccounts.key });
  const rows = await tx
    .select({ id: ledgerAccounts.id, key: ledgerAccounts.key, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(inArray(ledgerAccounts.key, [...unique.keys()]));
  return new Map(rows.map((r) => [r.key, r]));
}

/**
 * Locks accounts (`FOR UPDATE`) in key order — the same order in every process, so two
 * reconcilers can never deadlock on each other's wallets — and returns their balances.
 */
export async function lockAccounts(tx: Executor, refs: AccountRef[]): Promise<Map<string, LockedAccount>> {
  const ensured = await ensureAccounts(tx, refs);
  const keys = [...ensured.keys()].sort();
  if (keys.length === 0) return ensured;
  const rows = await tx
    .select({ id: ledgerAccounts.id, key: ledgerAccounts.key, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(inArray(ledgerAccounts.key, keys))
    .orderBy(ledgerAccounts.key)
    .for('update');
  return new Map(rows.map((r) => [r.key, r]));
}

/**
 * Posts many transactions in one database transaction (group commit). A transaction whose
 * idempotency key already exists is skipped, entries and all, so a retried or concurrent batch
 * can never post the same (payout, kind) twice. Balances move once per account per call.
 * Returns the keys that were newly posted.
 */
export async function postTransactions(tx: Executor, specs: TransactionSpec[]): Promise<Set<string>> {
  if (specs.length === 0) return new Set();
  for (const s of specs) assertBalanced(s);
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.idempotencyKey)) throw new Error(`duplicate ledger key in one batch: ${s.idempotencyKey}`);
    seen.add(s.idempotencyKey);
  }
  const accountsByKey = await ensureAccounts(
    tx,
    specs.flatMap((s) => s.entries.map((e) => e.account)),
  );
  const ids = new Map(specs.map((s) => [s.idempotencyKey, newId('ledgerTransaction')]));
  const inserted = await tx
    .insert(ledgerTransactions)
    .values(
      specs.map((s) => ({
        id: ids.get(s.idempotencyKey)!,
        kind: s.kind,
        idempotencyKey: s.idempotencyKey,
        payoutId: s.payoutId ?? null,
        tenantId: s.tenantId ?? null,
        currency: s.currency,
        metadata: s.metadata ?? null,
      })),
    )
    .onConflictDoNothing({ target: ledgerTransactions.idempotencyKey })
    .returning({ key: ledgerTransactions.idempotencyKey });
  const posted = new Set(inserted.map((r) => r.key));

  const entries: { transactionId: string; accountId: string; amount: bigint }[] = [];
  const deltas = new Map<string, bigint>();
  for (const s of specs) {
    if (!posted.has(s.idempotencyKey)) continue;
    for (const e of s.entries) {
      const account = accountsByKey.get(e.account.key)!;
      entries.push({ transactionId: ids.get(s.idempotencyKey)!, accountId: account.id, amount: e.amount });
      deltas.set(account.id, (deltas.get(account.id) ?? 0n) + e.amount);
    }
  }
  if (entries.length > 0) {
    for (let i = 0; i < entries.length; i += 5000) await tx.insert(ledgerEntries).values(entries.slice(i, i + 5000));
  }
  for (const [accountId, delta] of [...deltas].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (delta === 0n) continue;
    await tx.execute(
      sql`update ledger_accounts set balance = balance + ${delta.toString()}::bigint where id = ${accountId}`,
    );
  }
  return posted;
}
