import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from './client.ts';

/**
 * The version-order chains of outbound webhook deliveries (docs/webhooks.md), shared by every
 * writer: the reconciler's outbox (new deliveries), its deliverer (finishing one) and the
 * operator's replay. To one endpoint, the deliveries of one subject (a payout) go out in version
 * order: a pending delivery with an earlier pending version before it waits with no
 * `next_attempt_at`, and whoever finishes the earlier one gives the next its time. Only the head
 * of each chain is ever in `webhook_deliveries_ready_idx`, so a claim never reads what waits; a
 * chain itself is one range of `webhook_deliveries_chain_idx` (endpoint, subject, version).
 *
 * The hand-over cannot be lost between a writer deciding "wait" and the deliverer finishing the
 * delivery it waits for: the writer holds a share lock on that delivery until it commits, so the
 * deliverer's UPDATE of it waits, and its promotion, a later statement, sees the new row. Had the
 * deliverer gone first, the writer's lock re-reads the row, sees it done, and looks again.
 */

export interface ChainLink {
  endpointId: string;
  subjectId: string;
  subjectVersion: number;
  eventId: string;
}

/** A link's key in what `waitingLinks` returns. */
export function chainKey(l: ChainLink): string {
  return `${l.endpointId} ${l.subjectId} ${l.subjectVersion} ${l.eventId}`;
}

/**
 * Which of `links` have an earlier version of their subject still pending to their endpoint: the
 * keys (`chainKey`) of those that must wait. Call inside the transaction that writes them; the
 * latest such earlier delivery of each is share-locked until it commits.
 */
export async function waitingLinks(tx: Executor, links: ChainLink[]): Promise<Set<string>> {
  const waiting = new Set<string>();
  let open = links;
  // A locked row found done by the time its lock was granted: look again for that link. Each
  // round needs a delivery to finish meanwhile, so this ends after a handful at most.
  for (let round = 0; open.length > 0 && round < 20; round++) {
    const items = JSON.stringify(
      open.map((l) => ({
        k: chainKey(l),
        endpoint_id: l.endpointId,
        subject_id: l.subjectId,
        version: l.subjectVersion,
        event_id: l.eventId,
      })),
    );
    const found = rowsOf<{ k: string; id: string }>(
      await tx.execute(sql`
        select distinct on (x.k) x.k, d.id
        from jsonb_to_recordset(${items}::jsonb) as x(k text, endpoint_id text, subject_id text, version int, event_id text)
        join webhook_deliveries d on d.endpoint_id = x.endpoint_id and d.subject_id = x.subject_id
          and d.status = 'pending' and (d.subject_version, d.event_id) < (x.version, x.event_id)
        order by x.k, d.subject_version desc, d.event_id desc`),
    );
    if (found.length === 0) break;
    const ids = found.map((f) => f.id);
    const locked = new Set(
      rowsOf<{ id: string }>(
        await tx.execute(sql`
          select id from webhook_deliveries
          where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) and status = 'pending'
          order by id
          for share`),
      ).map((r) => r.id),
    );
    const again = new Set<string>();
    for (const f of found) (locked.has(f.id) ? waiting : again).add(f.k);
    open = open.filter((l) => again.has(chainKey(l)));
  }
  return waiting;
}

/**
 * After a delivery of `subjectId` to `endpointId` stopped being pending (delivered, failed,
 * cancelled): the earliest pending version of that subject to that endpoint gets its time, if it
 * was waiting. One that already has a time (a replayed one, or one in flight) is left as it is.
 */
export async function promoteNextInChain(
  tx: Executor,
  endpointId: string,
  subjectId: string,
  now: Date,
): Promise<void> {
  await tx.execute(sql`
    update webhook_deliveries set next_attempt_at = ${now.toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
    where id = (
      select id from webhook_deliveries
      where endpoint_id = ${endpointId} and subject_id = ${subjectId} and status = 'pending'
      order by subject_version, event_id
      limit 1)
    and status = 'pending' and next_attempt_at is null`);
}

/**
 * Ends every pending delivery of a disabled (or deleted) endpoint as `cancelled`, recording why;
 * an operator can replay any of them once the endpoint is enabled again. Rows a deliverer holds
 * at this moment (recording an answer) are skipped rather than waited for — waiting could
 * deadlock with that deliverer's promotion — and the deliverer's next sweep ends them.
 */
export async function cancelPendingDeliveries(
  tx: Executor,
  endpointIds: string[],
  now: Date,
  reason: string,
): Promise<number> {
  if (endpointIds.length === 0) return 0;
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`
      update webhook_deliveries w set status = 'cancelled', next_attempt_at = null, last_error = ${reason},
        updated_at = ${now.toISOString()}::timestamptz
      where w.id = any(array(
        select id from webhook_deliveries
        where endpoint_id in (select jsonb_array_elements_text(${JSON.stringify(endpointIds)}::jsonb)) and status = 'pending'
        for update skip locked))
      returning w.id`),
  );
  return rows.length;
}
