import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

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
  },
  (t) => [index('operator_actions_target_idx').on(t.target), index('operator_actions_created_idx').on(t.createdAt)],
);
