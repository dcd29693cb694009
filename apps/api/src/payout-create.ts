import { approvalRequests, insertRowsSql, rowsOf, webhookDeliveries, webhookEvents } from '@payouts/db';
import { acceptedPayoutsCtes, type PayoutRow } from '@payouts/payouts';
import type { JobTrace } from '@payouts/queue';
import { type SQL, sql } from 'drizzle-orm';
import type { ApiDeps } from './deps.ts';
import { duplicateReference, isDuplicateReference, livePayoutsByReference } from './duplicate-reference.ts';
import { createOnce, idempotencyKeyInUse, idempotencyKeyReused, type StoredResponse } from './idempotency.ts';

/**
 * What one `POST /v1/payouts` writes, decided before anything is written: the route validates and
 * builds it, then `PayoutGroupCommit` writes it, alone (`createOne`) or with the requests that
 * arrived beside it (`createGroup`). Either way the same rows, guarded by the same Idempotency-Key.
 */
export interface PayoutCreate {
  /** The Idempotency-Key's scope: the tenant. */
  tenantId: string;
  key: string;
  /** The request's fingerprint (method, path, canonical body). */
  print: string;
  /** The payout row as it will be stored, defaults filled in (`acceptedRecord`). */
  record: PayoutRow;
  /** Its first history entry's detail. */
  detail: Record<string, unknown>;
  /** The answer to store with the key and give back: 202 and the payout. */
  response: StoredResponse;
  /** Caught by an approval policy or a cooling-off: its approval request, written with it. */
  approval: typeof approvalRequests.$inferInsert | null;
  /** `payout.scheduled` and its deliveries, for a scheduled payout whose tenant wants them. */
  webhooks: {
    events: (typeof webhookEvents.$inferInsert)[];
    deliveries: (typeof webhookDeliveries.$inferInsert)[];
  } | null;
  /** The request's id and trace, carried by its reconciler job. */
  trace: JobTrace | undefined;
}

export interface CreateOutcome {
  response: StoredResponse;
  replayed: boolean;
}

/**
 * One request's create in one statement (`createOnce`): the path of a request that arrived alone,
 * and of each request of a group whose statement failed, so that a row Postgres refuses fails its
 * own request only. A refusal by the duplicate guard's unique index is answered
 * `409 duplicate_reference` naming the payout that holds the reference. Nothing was written then,
 * not even the Idempotency-Key record, so a retry with the same key is judged again. If the holder
 * was cancelled or failed between the refusal and the look-up, the create is tried again.
 */
export async function createOne(deps: ApiDeps, c: PayoutCreate): Promise<CreateOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createOnce(deps.db, c.tenantId, c.key, c.print, c.response, (where) => createdWith([c], where));
    } catch (error) {
      const reference = c.record.referenceGuarded ? c.record.referenceId : null;
      if (reference === null || !isDuplicateReference(error)) throw error;
      const holder = (await livePayoutsByReference(deps.db, c.tenantId, [reference])).get(reference);
      if (holder) throw duplicateReference(reference, holder);
      if (attempt >= 3) throw error;
    }
  }
}

/** How each create of a group came out: created, replayed, or refused with its own error. */
export type GroupOutcome = { ok: true; outcome: CreateOutcome } | { ok: false; error: unknown };

/**
 * Many requests' creates in ONE statement, so one commit: every Idempotency-Key record, payout,
 * first event, approval request and `payout.scheduled` webhook of the group, each sent as one
 * jsonb parameter (`insertRowsSql`). It does per key what `createOnce` does for one: a
 * transaction-scoped advisory lock on the key (taken → that request gets 409 at once), the key
 * record inserted unless one exists, and the payout's rows inserted only where its key record was.
 * A key that existed is then read back once for all (replay, or 422 for another body).
 *
 * The caller gives at most one create per key (two in one statement would both take the lock, it
 * being the same session's). An error thrown is the statement's, so the whole group's: nothing of
 * it was written, and the caller writes each create on its own to learn which one Postgres refused.
 */
export async function createGroup(deps: ApiDeps, group: PayoutCreate[]): Promise<GroupOutcome[]> {
  const keys = JSON.stringify(
    group.map((c) => ({
      scope: c.tenantId,
      key: c.key,
      lock: `${c.tenantId}\n${c.key}`,
      fingerprint: c.print,
      response_status: c.response.status,
      response_body: c.response.body,
      payout_id: c.record.id,
    })),
  );
  const parts = createdWith(group, sql`x.id in (select payout_id from created)`);
  const rows = rowsOf<{ scope: string; key: string; locked: boolean; created: boolean }>(
    await deps.db.execute(sql`
      with input as (
        select * from jsonb_to_recordset(${keys}::jsonb)
          as i(scope text, key text, lock text, fingerprint text, response_status int, response_body jsonb, payout_id text)
      ),
      l as (select scope, key, payout_id, pg_try_advisory_xact_lock(hashtextextended(lock, 0)) as ok from input),
      k as (
        insert into idempotency_keys (scope, key, fingerprint, response_status, response_body)
        select i.scope, i.key, i.fingerprint, i.response_status, i.response_body
        from input i join l on l.scope = i.scope and l.key = i.key where l.ok
        on conflict (scope, key) do nothing
        returning scope, key
      ),
      created as (select l.payout_id from l join k on k.scope = l.scope and k.key = l.key)
      ${sql.join(
        parts.map((cte) => sql`, ${cte}`),
        sql``,
      )}
      select l.scope, l.key, l.ok as locked, exists (select 1 from k where k.scope = l.scope and k.key = l.key) as created
      from l`),
  );
  const byKey = new Map(rows.map((r) => [`${r.scope}\n${r.key}`, r]));
  // Committed: from here on an error is the replays' alone, never the group's (the caller must not
  // write again what is written).
  const existing = await storedResponses(
    deps,
    group.filter((c) => {
      const r = byKey.get(`${c.tenantId}\n${c.key}`);
      return r?.locked && !r.created;
    }),
  ).catch((error: unknown) => error);
  return group.map((c): GroupOutcome => {
    const id = `${c.tenantId}\n${c.key}`;
    const r = byKey.get(id);
    if (!r) return { ok: false, error: new Error(`the group statement gave no row for ${id}`) };
    if (!r.locked) return { ok: false, error: idempotencyKeyInUse() };
    if (r.created) return { ok: true, outcome: { response: c.response, replayed: false } };
    if (!(existing instanceof Map)) return { ok: false, error: existing };
    const earlier = existing.get(id);
    if (!earlier) return { ok: false, error: new Error(`idempotency record for ${id} neither inserted nor found`) };
    if (earlier.fingerprint !== c.print) return { ok: false, error: idempotencyKeyReused() };
    return { ok: true, outcome: { response: { status: earlier.status, body: earlier.body }, replayed: true } };
  });
}

/** The stored answers of these creates' keys, read in one query: `scope\nkey` → answer. */
async function storedResponses(
  deps: ApiDeps,
  creates: PayoutCreate[],
): Promise<Map<string, { fingerprint: string; status: number; body: unknown }>> {
  if (creates.length === 0) return new Map();
  const wanted = JSON.stringify(creates.map((c) => ({ scope: c.tenantId, key: c.key })));
  const rows = rowsOf<{
    scope: string;
    key: string;
    fingerprint: string;
    response_status: number;
    response_body: unknown;
  }>(
    await deps.db.execute(sql`
      select k.scope, k.key, k.fingerprint, k.response_status, k.response_body
      from idempotency_keys k
      join jsonb_to_recordset(${wanted}::jsonb) as w(scope text, key text) on w.scope = k.scope and w.key = k.key`),
  );
  return new Map(
    rows.map((r) => [
      `${r.scope}\n${r.key}`,
      { fingerprint: r.fingerprint, status: r.response_status, body: r.response_body },
    ]),
  );
}

/**
 * The statement's common table expressions that write the payouts and what comes with them:
 * the payouts where `payoutGuard` holds (on the recordset `x`), their first events, and the
 * approval requests and scheduled webhooks of the payouts inserted (so a replay writes nothing).
 */
function createdWith(group: PayoutCreate[], payoutGuard: SQL): SQL[] {
  const subjectGuard = sql`x.subject_id in (select id from accepted_payouts)`;
  const details = new Map(group.map((c) => [c.record.id, c.detail]));
  const ctes = acceptedPayoutsCtes(
    group.map((c) => c.record),
    (row) => details.get(row.id) ?? {},
    { where: payoutGuard },
  );
  const approvals = group.flatMap((c) => (c.approval ? [c.approval] : []));
  if (approvals.length > 0) {
    ctes.push(
      sql`approval_requests_inserted as (${insertRowsSql(approvalRequests, approvals, { where: subjectGuard })})`,
    );
  }
  const events = group.flatMap((c) => c.webhooks?.events ?? []);
  const deliveries = group.flatMap((c) => c.webhooks?.deliveries ?? []);
  if (events.length > 0) {
    ctes.push(sql`scheduled_events as (${insertRowsSql(webhookEvents, events, { where: subjectGuard })})`);
    ctes.push(sql`scheduled_deliveries as (${insertRowsSql(webhookDeliveries, deliveries, { where: subjectGuard })})`);
  }
  return ctes;
}
