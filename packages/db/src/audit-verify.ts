import { must } from '@payouts/core';
import { and, asc, eq, gt, isNotNull, isNull, notExists, type SQL, sql } from 'drizzle-orm';
import { OPERATOR_CHAIN, operatorActionHash, payoutEventHash } from './audit-chain.ts';
import type { Database, Executor } from './client.ts';
import { auditChainHeads, operatorActions } from './schema/operator-actions.ts';
import { payoutEvents, payouts } from './schema/payouts.ts';

/**
 * Why a link is broken:
 * - `hash_mismatch`: the row's content (or its `prev_hash`) is not what was hashed — the row was
 *   edited; `expected` is the hash of the row as it reads now, `found` the stored one.
 * - `link_broken`: the row's `prev_hash` is not the previous row's hash — a row before it was
 *   deleted or inserted, or a hash rewritten; `expected` is the previous row's hash (null: none).
 * - `hash_missing`: a row without a hash after its chain started — written around the writers.
 * - `head_mismatch`: the chain's head (`payouts.history_hash`, or `audit_chain_heads`) is not its
 *   last row's hash — rows at the end were deleted, or the head was edited; `row` is the last row.
 */
export type BrokenLinkReason = 'hash_mismatch' | 'link_broken' | 'hash_missing' | 'head_mismatch';

export interface BrokenLink {
  /** The payout id, or `operator_actions`. */
  chain: string;
  /** The row: `payout_events.id`, or `operator_actions.id`; null when the chain has no row left. */
  row: string | null;
  reason: BrokenLinkReason;
  expected: string | null;
  found: string | null;
}

export interface ChainsReport {
  /** Hashed rows read. */
  rows: number;
  chains: number;
  /** Rows written before the chains existed (no hash, before their chain's first hashed row). */
  legacyRows: number;
  /** Chains with a broken link; `broken` lists the first broken link of each, at most `maxBroken`. */
  brokenChains: number;
  broken: BrokenLink[];
}

export interface AuditReport {
  ok: boolean;
  payoutEvents: ChainsReport;
  operatorActions: ChainsReport;
}

export interface VerifyOptions {
  /** Rows read per query: the verifier keeps one page and one chain's state in memory. */
  pageSize?: number;
  /** The most broken links listed per table (all are counted). */
  maxBroken?: number;
}

/** One chain's state while its rows go by, in order. */
class ChainWalk {
  rows = 0;
  started = false;
  last: string | null = null;
  lastRow: string | null = null;
  broken: BrokenLink | null = null;

  constructor(readonly chain: string) {}

  /** `expected`: the row's hash recomputed from its content and stored `prev_hash`. */
  next(row: string, stored: { hash: string | null; prevHash: string | null }, expected: () => string): boolean {
    if (this.broken) return false;
    if (stored.hash === null) {
      if (!this.started) return false; // a legacy row, before the chain's first hashed row
      return this.fail(row, 'hash_missing', expected(), null);
    }
    this.rows++;
    this.started = true;
    if (stored.prevHash !== this.last) return this.fail(row, 'link_broken', this.last, stored.prevHash);
    const recomputed = expected();
    if (recomputed !== stored.hash) return this.fail(row, 'hash_mismatch', recomputed, stored.hash);
    this.last = stored.hash;
    this.lastRow = row;
    return true;
  }

  end(head: string | null): BrokenLink | null {
    if (!this.broken && head !== this.last) this.fail(this.lastRow, 'head_mismatch', this.last, head);
    return this.broken;
  }

  fail(row: string | null, reason: BrokenLinkReason, expected: string | null, found: string | null): false {
    this.broken = { chain: this.chain, row, reason, expected, found };
    return false;
  }
}

function emptyReport(): ChainsReport {
  return { rows: 0, chains: 0, legacyRows: 0, brokenChains: 0, broken: [] };
}

/**
 * Recomputes both audit chains and reports the first broken link of each chain. It pages through
 * the tables in chain order (keyset pages of `pageSize` rows on the indexes the chains are read
 * by), in one repeatable-read, read-only transaction: every page sees the same moment, so rows
 * committed meanwhile neither appear half-chained nor count as broken.
 */
export async function verifyAuditChains(db: Database, options: VerifyOptions = {}): Promise<AuditReport> {
  const pageSize = options.pageSize ?? 5000;
  const maxBroken = options.maxBroken ?? 100;
  return db.transaction(
    async (tx) => {
      const events = await verifyPayoutEvents(tx, pageSize, maxBroken);
      const actions = await verifyOperatorActions(tx, pageSize);
      return {
        ok: events.brokenChains === 0 && actions.brokenChains === 0,
        payoutEvents: events,
        operatorActions: actions,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

async function verifyPayoutEvents(db: Executor, pageSize: number, maxBroken: number): Promise<ChainsReport> {
  const report = emptyReport();
  const found = (link: BrokenLink | null) => {
    if (!link) return;
    report.brokenChains++;
    if (report.broken.length < maxBroken) report.broken.push(link);
  };
  let walk: ChainWalk | null = null;
  let head: string | null = null;
  const finish = () => {
    if (!walk) return;
    if (walk.started) report.chains++;
    // A payout whose rows are all legacy has no head yet; one with a head has a chain.
    if (walk.started || head !== null) found(walk.end(head));
  };
  let after: { payoutId: string; id: bigint } | null = null;
  for (;;) {
    const page = await payoutEventsPage(db, after, pageSize);
    for (const e of page) {
      let current: ChainWalk | null = walk;
      if (current?.chain !== e.payoutId) {
        finish();
        current = new ChainWalk(e.payoutId);
        walk = current;
      }
      head = e.head;
      if (e.hash !== null) report.rows++;
      else if (!current.started) report.legacyRows++;
      current.next(String(e.id), e, () => payoutEventHash(e, e.prevHash));
    }
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) break;
    after = { payoutId: last.payoutId, id: last.id };
  }
  finish();

  // A payout with a head but no history row left at all: its whole chain was deleted.
  const headless: SQL = must(
    and(
      isNotNull(payouts.historyHash),
      notExists(db.select({ one: sql`1` }).from(payoutEvents).where(eq(payoutEvents.payoutId, payouts.id))),
    ),
    'the headless-chain condition',
  );
  const orphans = await db
    .select({ id: payouts.id, head: payouts.historyHash })
    .from(payouts)
    .where(headless)
    .orderBy(asc(payouts.id))
    .limit(maxBroken);
  for (const p of orphans) found({ chain: p.id, row: null, reason: 'head_mismatch', expected: null, found: p.head });
  if (orphans.length === maxBroken) {
    const [all] = await db.select({ n: sql<number>`count(*)::int` }).from(payouts).where(headless);
    report.brokenChains += (all?.n ?? 0) - orphans.length;
  }
  return report;
}

/** One page of history rows in chain order (payout, then id), with each payout's chain head. */
function payoutEventsPage(db: Executor, after: { payoutId: string; id: bigint } | null, limit: number) {
  return db
    .select({
      id: payoutEvents.id,
      payoutId: payoutEvents.payoutId,
      fromStatus: payoutEvents.fromStatus,
      toStatus: payoutEvents.toStatus,
      applied: payoutEvents.applied,
      source: payoutEvents.source,
      detail: payoutEvents.detail,
      createdAt: payoutEvents.createdAt,
      prevHash: payoutEvents.prevHash,
      hash: payoutEvents.hash,
      head: payouts.historyHash,
    })
    .from(payoutEvents)
    .innerJoin(payouts, eq(payouts.id, payoutEvents.payoutId))
    .where(after ? sql`(${payoutEvents.payoutId}, ${payoutEvents.id}) > (${after.payoutId}, ${after.id})` : undefined)
    .orderBy(asc(payoutEvents.payoutId), asc(payoutEvents.id))
    .limit(limit);
}

async function verifyOperatorActions(db: Executor, pageSize: number): Promise<ChainsReport> {
  const report = emptyReport();
  const walk = new ChainWalk(OPERATOR_CHAIN);
  let expectedSeq = 0;
  let after: number | null = null;
  scan: for (;;) {
    const page = await db
      .select()
      .from(operatorActions)
      .where(after === null ? isNotNull(operatorActions.chainSeq) : gt(operatorActions.chainSeq, after))
      .orderBy(asc(operatorActions.chainSeq))
      .limit(pageSize);
    for (const a of page) {
      const seq = must(a.chainSeq, 'chain_seq of an operator action selected for having one');
      expectedSeq++;
      if (!walk.next(a.id, a, () => operatorActionHash(a, seq, a.prevHash))) break scan;
      // The hash covers the place, so a renumbered row fails as edited; a gap whose links hold is a
      // deleted row whose successor was re-hashed to hide it.
      if (seq !== expectedSeq) {
        walk.fail(a.id, 'link_broken', `seq ${expectedSeq}`, `seq ${seq}`);
        break scan;
      }
    }
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) break;
    after = last.chainSeq;
  }
  const [head] = await db
    .select({ seq: auditChainHeads.seq, hash: auditChainHeads.hash })
    .from(auditChainHeads)
    .where(eq(auditChainHeads.chain, OPERATOR_CHAIN));
  let broken = walk.broken ?? (head ? walk.end(head.hash) : null);
  // A row without a place written after the chain started did not come through the writers: a
  // legacy row is one from before the first chained row.
  const [start] = await db
    .select({ at: sql<Date | null>`min(${operatorActions.createdAt})`.mapWith(operatorActions.createdAt) })
    .from(operatorActions)
    .where(isNotNull(operatorActions.chainSeq));
  const unchained = start?.at
    ? and(isNull(operatorActions.chainSeq), gt(operatorActions.createdAt, start.at))
    : sql`false`;
  const [slipped] = await db
    .select({ id: operatorActions.id })
    .from(operatorActions)
    .where(unchained)
    .orderBy(asc(operatorActions.createdAt))
    .limit(1);
  if (!broken && slipped)
    broken = { chain: OPERATOR_CHAIN, row: slipped.id, reason: 'hash_missing', expected: null, found: null };
  const [legacy] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(operatorActions)
    .where(and(isNull(operatorActions.chainSeq), start?.at ? sql`not (${unchained})` : undefined));
  report.legacyRows = legacy?.n ?? 0;
  report.rows = walk.rows;
  report.chains = walk.started ? 1 : 0;
  if (broken) {
    report.brokenChains = 1;
    report.broken.push(broken);
  }
  return report;
}
