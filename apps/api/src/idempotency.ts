import { createHash } from 'node:crypto';
import { canonicalJson } from '@payouts/core';
import { type Database, idempotencyKeys, rowsOf, type Transaction } from '@payouts/db';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Request } from 'express';
import { HttpProblem, problems } from './problem.ts';

/**
 * Idempotency-Key (IETF draft): required on every POST that creates. The first response is stored
 * with a fingerprint of the request, in the same transaction as what it created — so there is
 * never a created payout without its record, or a record without its payout.
 * Same key + same request → the first response again; same key + another request → 422;
 * the same key while the first request is still running → 409.
 */
export interface StoredResponse {
  status: number;
  body: unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function readIdempotencyKey(req: Request): string {
  const key = req.header('idempotency-key');
  if (key === undefined) {
    throw problems.badRequest(
      'idempotency_key_missing',
      'The Idempotency-Key header is required on this request.',
      'Idempotency-Key',
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw problems.badRequest(
      'idempotency_key_invalid',
      'The Idempotency-Key header must be 1 to 255 visible ASCII characters.',
      'Idempotency-Key',
    );
  }
  return key;
}

export function fingerprint(req: Request, body: unknown): string {
  return createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${canonicalJson(body)}`)
    .digest('hex');
}

/**
 * The stored answer for this key, if the same request was made before (a different request under
 * the same key is refused). For requests whose acceptance depends on changing state — a batch's
 * wallet pre-flight — so that a retry replays its first answer instead of being judged afresh.
 * `withIdempotency` checks again inside its transaction, so a race between two retries is safe.
 */
export async function findReplay(
  db: Database,
  scope: string,
  key: string,
  print: string,
): Promise<StoredResponse | null> {
  const [existing] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  if (!existing) return null;
  if (existing.fingerprint !== print) throw idempotencyKeyReused();
  return { status: existing.responseStatus, body: existing.responseBody };
}

/** Same key, another request: 422. */
export function idempotencyKeyReused(): HttpProblem {
  return new HttpProblem(
    422,
    'idempotency_key_reused',
    'This Idempotency-Key was used with a different request; use a new key for a new request.',
    [{ path: 'Idempotency-Key', message: 'was used with a different request' }],
  );
}

/** The same key while the first request is still being processed: 409 at once. */
export function idempotencyKeyInUse(): HttpProblem {
  return problems.conflict(
    'idempotency_key_in_use',
    'A request with this Idempotency-Key is still being processed.',
    'Idempotency-Key',
  );
}

/**
 * Runs `create` once per (scope, key). `create` gets the open transaction and returns the response
 * to store; `afterCommit` work (enqueueing) is the caller's, after this resolves.
 */
export async function withIdempotency(
  db: Database,
  scope: string,
  key: string,
  print: string,
  create: (tx: Transaction) => Promise<StoredResponse>,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  return db.transaction(async (tx) => {
    // A transaction-scoped advisory lock on (scope, key): a concurrent twin finds it taken and gets
    // 409 at once, instead of waiting on the unique index and racing for the insert.
    const locked = rowsOf<{ ok: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(hashtextextended(${`${scope}\n${key}`}, 0)) as ok`),
    );
    if (!locked[0]?.ok) throw idempotencyKeyInUse();
    const [existing] = await tx
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
    if (existing) {
      if (existing.fingerprint !== print) throw idempotencyKeyReused();
      return { response: { status: existing.responseStatus, body: existing.responseBody }, replayed: true };
    }
    const response = await create(tx);
    await tx.insert(idempotencyKeys).values({
      scope,
      key,
      fingerprint: print,
      responseStatus: response.status,
      responseBody: response.body as object,
    });
    return { response, replayed: false };
  });
}

/**
 * `withIdempotency` for a create whose response is known before anything is written (a single
 * payout): the advisory lock, the key record and every insert in ONE statement, so the hot path
 * is one round trip instead of a transaction of six. Each insert is guarded to run only if the
 * key record was inserted, so a replay writes nothing; a statement is atomic, so there is never
 * a payout without its key record or the other way round. `inserts` get the guard as `where`
 * and return the statement's further common table expressions (`name as (insert …)`).
 */
export async function createOnce(
  db: Database,
  scope: string,
  key: string,
  print: string,
  response: StoredResponse,
  inserts: (guard: SQL) => SQL[],
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const guard = sql`exists (select 1 from k)`;
  const parts = inserts(guard).map((cte) => sql`, ${cte}`);
  const [outcome] = rowsOf<{ locked: boolean; created: number }>(
    await db.execute(sql`
      with l as (select pg_try_advisory_xact_lock(hashtextextended(${`${scope}\n${key}`}, 0)) as ok),
      k as (
        insert into idempotency_keys (scope, key, fingerprint, response_status, response_body)
        select ${scope}, ${key}, ${print}, ${response.status}::int, ${JSON.stringify(response.body)}::jsonb from l where l.ok
        on conflict (scope, key) do nothing
        returning 1
      )${sql.join(parts, sql``)}
      select (select ok from l) as locked, (select count(*) from k)::int as created`),
  );
  if (!outcome?.locked) throw idempotencyKeyInUse();
  if (outcome.created === 1) return { response, replayed: false };
  const earlier = await findReplay(db, scope, key, print);
  if (!earlier) throw new Error(`idempotency record for ${scope}/${key} neither inserted nor found`);
  return { response: earlier, replayed: true };
}
