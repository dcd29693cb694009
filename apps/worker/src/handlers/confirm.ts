import type { PayoutStatus } from '@payouts/core';
import { type PayoutRow, waitsForWallet } from '@payouts/payouts';
import type { ProviderPayoutState } from '@payouts/providers';
import { confirmWindowKey, joinConfirmWindow, scheduleConfirmWindow } from '@payouts/queue';
import { loadPayouts } from '../payout-record.ts';
import { decideLookupFailure } from '../retry-policy.ts';
import { countRetry, type HandlerContext, type JobControl, readPayout, report, reportFromState } from './context.ts';
import { changed, observe } from './poll.ts';
import { noteProviderFailure } from './submit.ts';

/**
 * A webhook's hint. Where the provider lists its payouts (capability `list`), the payout joins the
 * confirmations of the current window, made by one list call when the window closes; elsewhere it
 * is looked up now. Either way, what gets reported is the provider's answer, never the webhook:
 * a webhook alone never moves money.
 */
export async function handleConfirm(
  ctx: HandlerContext,
  data: { payoutId: string; eventId: string; claimed?: PayoutStatus },
): Promise<JobControl> {
  if (data.claimed === 'processing') {
    // "It is on its way": nothing moves money on it, and when we have recorded it already (the
    // submission's answer said so) there is nothing to confirm. Half of a run's webhooks.
    const row = await readPayout(ctx, data.payoutId);
    if (row?.status === 'processing') return { kind: 'done', result: 'already_recorded:processing' };
  }
  // (The API puts such webhooks in the window itself; a `confirm` job for one is from before that.)
  if (ctx.adapter.capabilities.has('list') && ctx.webhooks) {
    await joinConfirmWindow(ctx.queues, ctx.adapter.id, data.payoutId, windowMs(ctx), ctx.now());
    return { kind: 'done', result: 'in_list_window' };
  }
  const row = await readPayout(ctx, data.payoutId);
  if (!row) return { kind: 'done', result: 'payout_not_found' };
  if (notAtProvider(row)) return { kind: 'done', result: `not_at_provider:${row.status}` };
  const seen = await observe(ctx, row, 'webhook');
  if (seen.kind === 'failed') return seen.control ?? { kind: 'retry', reason: 'lookup failed' };
  // Not found too soon to count as absence: the payout's own poll chain looks again.
  return { kind: 'done', result: seen.kind === 'state' ? seen.state.outcome : seen.kind };
}

/** Payouts confirmed by one window's job at most: a few list pages, and one database read. */
const WINDOW_MAX_PAYOUTS = 1_000;
/** RazorpayX's largest page. */
const LIST_PAGE = 100;
/**
 * The provider's clock and ours may differ a little: the list window reaches this far before our
 * own acceptance of the oldest payout and after now.
 */
const CLOCK_MARGIN_MS = 60_000;

/**
 * How long one window's confirmation holds the provider's list to itself at most (a process that
 * died holding it is forgotten after this; its job, stalled, runs again).
 */
const LIST_LOCK_MS = 60_000;

/**
 * Closes a window: one list over the creation times of the payouts whose webhooks arrived in it
 * (paged by 100, newest first, while some are still unseen), each found payout reported from the
 * provider's answer exactly as a lookup's would be (the reconciler compares its amount, currency
 * and reference with the payout before acting). Payouts the list did not show are looked up by id.
 * A webhook that arrives while this runs stays for the next window.
 *
 * One window's confirmation at a time per provider, whatever the number of worker processes: while
 * a run drains, a list call waits a few seconds for its token (submissions go first), and a window
 * that started meanwhile would list the same payouts again — every second's window its own list
 * call, each costing the run a submission's token (measured, 600 payouts: 94–135 lists before, 20
 * with one window at a time). A window that finds another confirming leaves its webhooks to the next window,
 * which the one confirming also schedules when it ends, so none is left behind.
 */
export async function handleConfirmList(ctx: HandlerContext, _data: object): Promise<JobControl> {
  const redis = ctx.queues.connection;
  const key = pendingKey(ctx);
  const lock = `${key}:listing`;
  const owner = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  if ((await redis.set(lock, owner, 'PX', LIST_LOCK_MS, 'NX')) !== 'OK') {
    if ((await redis.zcard(key)) > 0) await scheduleConfirmWindow(ctx.queues, ctx.adapter.id, windowMs(ctx), ctx.now());
    return { kind: 'done', result: 'another_window_confirming' };
  }
  let control: JobControl;
  try {
    control = await confirmWindow(ctx, key);
  } finally {
    await redis.eval(RELEASE_SCRIPT, 1, lock, owner);
  }
  // More came meanwhile (or more than one window holds): the next window's job takes them. Not
  // this job again: every window's job would then go on as a chain of its own while webhooks keep
  // coming, several list calls a second instead of one (measured: 1,268 lists for 600 payouts).
  // The next window's id is shared with the webhooks that schedule it, so it runs once. Read after
  // the release, so a window that gave way to this one while it held the lock is seen here.
  if (control.kind === 'done' && (await redis.zcard(key)) > 0)
    await scheduleConfirmWindow(ctx.queues, ctx.adapter.id, windowMs(ctx), ctx.now());
  return control;
}

/** Deletes the lock only if this job still holds it. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

async function confirmWindow(ctx: HandlerContext, key: string): Promise<JobControl> {
  const redis = ctx.queues.connection;
  const waiting = scored(await redis.zrange(key, '0', String(WINDOW_MAX_PAYOUTS - 1), 'WITHSCORES'));
  if (waiting.size === 0) return { kind: 'done', result: 'empty' };

  const rows = await loadPayouts(ctx.db, [...waiting.keys()]);
  const done: string[] = [...waiting.keys()].filter((id) => !rows.has(id));
  const open = new Map<string, PayoutRow>();
  for (const row of rows.values()) {
    if (notAtProvider(row)) done.push(row.id);
    else open.set(row.id, row);
  }

  const found = new Map<string, ProviderPayoutState>();
  if (open.size > 0) {
    const byProviderId = new Map<string, string>();
    for (const row of open.values()) if (row.providerPayoutId) byProviderId.set(row.providerPayoutId, row.id);
    const oldest = Math.min(...[...open.values()].map((r) => r.createdAt.getTime()));
    const window = { from: oldest - CLOCK_MARGIN_MS, to: ctx.now() + CLOCK_MARGIN_MS };
    // Newest first, and the webhooks are recent: the payouts sought are on the first pages. A
    // payout created long before the others (a late reversal) is looked up by id instead of
    // paging through everything created since.
    const maxPages = Math.ceil(open.size / LIST_PAGE) + 1;
    try {
      for (let page = 0; page < maxPages && found.size < open.size; page++) {
        const { items, hasMore } = await ctx.adapter.list({ ...window, count: LIST_PAGE, skip: page * LIST_PAGE });
        for (const item of items) {
          // The provider's id where we have it; else our payout id as the provider echoes it.
          const id = byProviderId.get(item.providerPayoutId) ?? item.stated?.payoutId ?? null;
          const row = id === null ? undefined : open.get(id);
          if (!row) continue;
          if (row.providerPayoutId && row.providerPayoutId !== item.providerPayoutId) continue;
          // Newest first: where a payout has two records (a rail fallback's ended attempt and its
          // new one), the first seen is the current attempt's. (An ended attempt's answer would be
          // recorded and not applied by the reconciler anyway, but it would confirm nothing.)
          if (!found.has(row.id)) found.set(row.id, item);
        }
        if (!hasMore) break;
      }
      await ctx.gate.recordSuccess();
    } catch (error) {
      await noteProviderFailure(ctx, error);
      const decision = decideLookupFailure(error);
      countRetry(ctx, decision.action === 'rate_limit' ? 'rate_limited' : 'lookup_failed');
      ctx.logger.warn({ err: error, payouts: open.size }, 'list confirmation failed');
      await forget(ctx, key, waiting, done);
      return decision.action === 'rate_limit'
        ? { kind: 'rate_limited', delayMs: decision.delayMs }
        : { kind: 'retry', reason: 'list failed' };
    }
  }

  // Reported together, so they leave in one reconciler job (the worker's ReportBatcher).
  await Promise.all(
    [...found].map(([id, state]) => {
      const row = open.get(id);
      return row && changed(row, state) ? report(ctx, reportFromState(id, state, ctx.now(), 'webhook')) : null;
    }),
  );
  done.push(...found.keys());
  // Not in the list (created outside the window, or the list lagging): one lookup each.
  let control: JobControl | null = null;
  for (const row of open.values()) {
    if (found.has(row.id)) continue;
    const seen = await observe(ctx, row, 'webhook');
    if (seen.kind === 'failed') {
      control = seen.control ?? { kind: 'retry', reason: 'lookup failed' };
      break;
    }
    done.push(row.id);
  }
  await forget(ctx, key, waiting, done);
  ctx.logger.debug(
    { waiting: waiting.size, open: open.size, listed: found.size, lookedUp: open.size - found.size },
    'webhooks confirmed by list',
  );
  if (control) return control;
  return { kind: 'done', result: `listed:${found.size}/${open.size}` };
}

/** Nothing to confirm there: never sent, or waiting for the tenant's wallet. */
function notAtProvider(row: PayoutRow): boolean {
  return row.status === 'accepted' || waitsForWallet(row);
}

function pendingKey(ctx: HandlerContext): string {
  return confirmWindowKey(ctx.queues.prefix, ctx.adapter.id);
}

function windowMs(ctx: HandlerContext): number {
  return ctx.webhooks?.confirmWindowMs ?? 1_000;
}

/**
 * Removes the confirmed payouts from the window, each only if no newer webhook came for it while
 * this ran (its score moved): that one is confirmed again, by the next window.
 */
const FORGET_SCRIPT = `
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
`;

async function forget(ctx: HandlerContext, key: string, waiting: Map<string, string>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const args = ids.flatMap((id) => [id, waiting.get(id) ?? '']);
  await ctx.queues.connection.eval(FORGET_SCRIPT, 1, key, ...args);
}

/** `ZRANGE … WITHSCORES` as member → score (flat under RESP2, pairs under RESP3). */
function scored(reply: unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  if (reply.length > 0 && Array.isArray(reply[0])) {
    for (const pair of reply as unknown[][]) out.set(String(pair[0]), String(pair[1]));
    return out;
  }
  for (let i = 0; i + 1 < reply.length; i += 2) out.set(String(reply[i]), String(reply[i + 1]));
  return out;
}
