import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Every operator action — who (the operator key), what, on what, with what result, and when. */
export const operatorActions = pgTable(
  'operator_actions',
  {
    id: text('id').primaryKey(),
    /** The operator key that acted (`key_…`). */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    /** What it acted on: a payout, tenant or provider id; null for bulk actions. */
    target: text('target'),
    params: jsonb('params').$type<Record<string, unknown>>(),
    result: jsonb('result').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The row's place in the one operator audit chain (1, 2, …), given under the chain head's
     * lock: the chain's order, which neither the ids nor the clocks of concurrent writers give.
     * Null, like the hashes, on rows written before the chain existed. A JS number: exact to 2^53
     * actions, and rows read back stay plain JSON.
     */
    chainSeq: bigint('chain_seq', { mode: 'number' }),
    /** The hash of the previous row in the chain (null for the first). */
    prevHash: text('prev_hash'),
    /** SHA-256 of this row's content, its place and `prev_hash` (`packages/db/src/audit-chain.ts`). */
    hash: text('hash'),
  },
  (t) => [
    index('operator_actions_target_idx').on(t.target),
    index('operator_actions_created_idx').on(t.createdAt),
    uniqueIndex('operator_actions_chain_seq_idx').on(t.chainSeq),
  ],
);

/**
 * The head of each audit chain that has no row of its own to keep it (the payouts keep theirs in
 * `payouts.history_hash`): the last row's place and hash. Writers lock it `FOR UPDATE`, which
 * serialises them so the chain cannot fork, and the verifier compares it with the last row, so a
 * deleted tail is seen.
 */
export const auditChainHeads = pgTable('audit_chain_heads', {
  /** The chain: `operator_actions`. */
  chain: text('chain').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull().default(sql`0`),
  hash: text('hash'),
});
