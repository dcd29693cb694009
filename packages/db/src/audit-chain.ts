import { createHash } from 'node:crypto';
import type { PayoutStatus, TransitionSource } from '@payouts/core';
import { eq } from 'drizzle-orm';
import { insertRows } from './bulk.ts';
import type { Executor } from './client.ts';
import { auditChainHeads, operatorActions } from './schema/operator-actions.ts';
import type { payoutEvents } from './schema/payouts.ts';

/**
 * The audit chains: every `payout_events` row (one chain per payout) and every `operator_actions`
 * row (one chain) carries `hash` = SHA-256 of its content and of `prev_hash`, the previous row's
 * hash in its chain, so editing, deleting or inserting a row in the middle of a chain breaks a
 * link the verifier (`audit-verify.ts`) finds, and deleting the tail disagrees with the head.
 *
 * The hash is computed in TypeScript where the row is written, in the writer's transaction, and
 * the verifier recomputes it with these same functions from the row as read back. The hash is the
 * hex SHA-256 of the UTF-8 canonical JSON of one array per row:
 *
 *   payout_events:    ["payout_event", payout_id, from_status, to_status, applied, source,
 *                      detail, created_at, prev_hash]
 *   operator_actions: ["operator_action", chain_seq, id, actor, action, target, params, result,
 *                      created_at, prev_hash]
 *
 * Canonical JSON: no whitespace, object keys sorted by UTF-16 code units, strings and numbers as
 * `JSON.stringify` writes them. jsonb columns are encoded as stored (bigints as strings, Dates as
 * ISO strings, undefined keys dropped, null for none). `created_at` is the ISO-8601 UTC string with
 * milliseconds, and writers set it themselves, in milliseconds, so that it reads back exactly;
 * `chain_seq` is a decimal string. The serial `payout_events.id` is not part of the content: it is
 * given by Postgres at insert, and the links already fix the rows' order.
 */

/**
 * Canonical JSON of `value` as a jsonb column stores it — `JSON.stringify`'s rules (toJSON, so Dates
 * as ISO strings; undefined dropped from objects and null in arrays), plus bigint as a string like
 * `insertRows` — with no whitespace and object keys sorted. Written in one pass: no intermediate
 * JSON text, since a batch run hashes 10,000 rows in the request.
 */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      const withJson = value as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === 'function') return canonical(withJson.toJSON());
      if (Array.isArray(value)) return `[${value.map((v) => (storable(v) ? canonical(v) : 'null')).join(',')}]`;
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(record).sort()) {
        if (storable(record[k])) parts.push(`${JSON.stringify(k)}:${canonical(record[k])}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** What JSON keeps in an object: not undefined, functions or symbols. */
function storable(v: unknown): boolean {
  return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
}

function sha256(fields: unknown[]): string {
  return createHash('sha256').update(canonical(fields), 'utf8').digest('hex');
}

/** Timestamps are hashed to the millisecond, as writers store them. */
function instant(at: Date): string {
  return at.toISOString();
}

export interface PayoutEventContent {
  payoutId: string;
  fromStatus: PayoutStatus | null;
  toStatus: PayoutStatus;
  applied: boolean;
  source: TransitionSource;
  detail: Record<string, unknown> | null;
  createdAt: Date;
}

export function payoutEventHash(e: PayoutEventContent, prevHash: string | null): string {
  return sha256([
    'payout_event',
    e.payoutId,
    e.fromStatus,
    e.toStatus,
    e.applied,
    e.source,
    e.detail,
    instant(e.createdAt),
    prevHash,
  ]);
}

type PayoutEventRow = typeof payoutEvents.$inferInsert;

/**
 * A payout history row, chained after `head` (the payout's `history_hash`): the caller holds the
 * payout's row lock (or inserts the payout in the same statement), which serialises its chain, and
 * stores the returned row's `hash` as the payout's new `history_hash` in the same transaction.
 */
export function chainedPayoutEvent(
  e: PayoutEventContent,
  head: string | null,
): PayoutEventRow & { prevHash: string | null; hash: string } {
  return { ...e, prevHash: head, hash: payoutEventHash(e, head) };
}

export interface OperatorActionContent {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  params: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  createdAt: Date;
}

export function operatorActionHash(a: OperatorActionContent, seq: number, prevHash: string | null): string {
  return sha256([
    'operator_action',
    seq.toString(),
    a.id,
    a.actor,
    a.action,
    a.target,
    a.params,
    a.result,
    instant(a.createdAt),
    prevHash,
  ]);
}

/** The one operator chain's row in `audit_chain_heads`. */
export const OPERATOR_CHAIN = 'operator_actions';

/**
 * Appends operator actions to their chain, in the caller's transaction. The chain head's row is
 * locked `FOR UPDATE` first, so concurrent writers take turns and each chains after the last
 * committed row: the chain cannot fork. Call it as the transaction's last lock (its writers do),
 * so a transaction holding the head never waits for another lock, and the head is held only until
 * the commit.
 */
export async function appendOperatorActions(tx: Executor, actions: OperatorActionContent[]): Promise<void> {
  if (actions.length === 0) return;
  const [head] = await tx
    .select({ seq: auditChainHeads.seq, hash: auditChainHeads.hash })
    .from(auditChainHeads)
    .where(eq(auditChainHeads.chain, OPERATOR_CHAIN))
    .for('update');
  if (!head) throw new Error(`bug: audit_chain_heads has no ${OPERATOR_CHAIN} row (migration 0007 inserts it)`);
  let seq = head.seq;
  let prev = head.hash;
  const rows = actions.map((a) => {
    seq += 1;
    const hash = operatorActionHash(a, seq, prev);
    const row = { ...a, chainSeq: seq, prevHash: prev, hash };
    prev = hash;
    return row;
  });
  await insertRows(tx, operatorActions, rows);
  await tx.update(auditChainHeads).set({ seq, hash: prev }).where(eq(auditChainHeads.chain, OPERATOR_CHAIN));
}
