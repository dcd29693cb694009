import { integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Idempotency-Key records (IETF draft): the first response to a key is stored with a fingerprint
 * of the request; the same key and body replays it, a different body is refused.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The tenant id, or `operator` for operator routes: keys never collide across callers. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path and the canonical JSON of the body. */
    fingerprint: text('fingerprint').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);
