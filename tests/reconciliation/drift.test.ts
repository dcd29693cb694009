import { newId } from '@payouts/core';
import { ledgerTransactions, operatorActions, payouts } from '@payouts/db';
import { jobIds } from '@payouts/queue';
import { must, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run as runCli } from '../../apps/cli/src/cli.ts';
import {
  apiFetch,
  client,
  createFundedTenant,
  inrPayout,
  startTestSystem,
  type TestSystem,
} from '../support/system.ts';

/**
 * Reconciliation against RazorpayX, every drift made through the sandbox's admin API: each payout
 * is reported with the reason it drifted and both sides; a provider record we never sent is listed;
 * a finding is resolved with a note, in the operator log; a status drift on an unfinished payout
 * re-drives it. And every provider answer is checked: one naming another amount never posts.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let op: ReturnType<typeof client>;
const startedAt = Date.now() - 60_000;

beforeAll(async () => {
  system = await startTestSystem({ env: { RECONCILIATION_POLL_MS: '100', RECONCILIATION_NIGHTLY_AT: 'off' } });
  tenant = await createFundedTenant(system, 'recon', 50_000_000);
  op = client(system.api.url, system.operatorKey);
});
afterAll(async () => {
  await system?.stop();
});

async function pay(key: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await tenant.api('POST', '/v1/payouts', inrPayout(overrides), { 'idempotency-key': key });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function settled(id: string, want: string) {
  return waitFor(
    async () => {
      const res = await tenant.api('GET', `/v1/payouts/${id}`);
      return res.body.status === want ? res.body : undefined;
    },
    { message: `${id} → ${want}` },
  );
}

async function sandbox(method: string, path: string, body?: unknown) {
  const res = await fetch(`${system.sandbox.url}/_admin/razorpayx${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function completed(id: string) {
  return waitFor(
    async () => {
      const res = await op('GET', `/v1/admin/reconciliations/${id}`);
      if (res.body.status === 'failed') throw new Error(`run failed: ${res.body.error}`);
      return res.body.status === 'completed' ? res.body : undefined;
    },
    { message: `run ${id} completed` },
  );
}

async function allItems(id: string) {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const res = await op(
      'GET',
      `/v1/admin/reconciliations/${id}/items?reason=all&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return items;
}

describe('a run finds every drift, with both sides', () => {
  const ids: Record<string, string> = {};
  let runId = '';
  // biome-ignore lint/suspicious/noExplicitAny: items are read loosely and asserted on
  let byPayout: Map<string | null | undefined, any>;

  beforeAll(async () => {
    ids.clean = await pay('rc-clean');
    ids.amount = await pay('rc-amount');
    ids.fees = await pay('rc-fees');
    ids.status = await pay('rc-status');
    ids.utr = await pay('rc-utr');
    // Ends in 0003: stays in progress at the sandbox until forced.
    ids.inFlight = await pay('rc-inflight', {
      beneficiary: { name: 'Asha Rao', account_number: '123456780003', bank_code: 'HDFC0001234' },
    });
    for (const key of ['clean', 'amount', 'fees', 'status', 'utr']) await settled(must(ids[key], key), 'processed');
    const inFlight = await settled(must(ids.inFlight, 'inFlight'), 'processing');

    const providerId = async (id: string) => (await tenant.api('GET', `/v1/payouts/${id}`)).body.provider_payout_id;
    await sandbox('POST', `/payouts/${await providerId(must(ids.amount, 'amount'))}/drift`, { amount: 49_000 });
    await sandbox('POST', `/payouts/${await providerId(must(ids.fees, 'fees'))}/drift`, { fees: 2000, tax: 360 });
    await sandbox('POST', `/payouts/${await providerId(must(ids.status, 'status'))}/drift`, { status: 'reversed' });
    await sandbox('POST', `/payouts/${await providerId(must(ids.utr, 'utr'))}/drift`, { utr: 'SBX999999999999' });
    // The workers stop looking (their queue paused, and no look still running: one could see the
    // change below), so the run is what finds that it was paid.
    await system.pauseProvider('razorpayx');
    await sandbox('POST', `/payouts/${inFlight.provider_payout_id}/drift`, { status: 'processed', utr: 'SBX1' });

    // A payout of ours the provider has no record of: sent, as far as we know, under an id it never gave.
    const [template] = await system.db.db
      .select()
      .from(payouts)
      .where(eq(payouts.id, must(ids.clean, 'clean')));
    ids.missing = newId('payout');
    await system.db.db.insert(payouts).values({
      ...must(template, 'template'),
      id: ids.missing,
      providerIdempotencyKey: ids.missing,
      referenceId: 'rc-missing',
      providerPayoutId: 'pout_NeverGivenOut01',
      createdAt: new Date(),
      updatedAt: new Date(),
      historyHash: null,
    });
    // A payout at the provider we never sent (made on its dashboard).
    await sandbox('POST', '/foreign-payouts', { payouts: [{ amount: 7_700, reference_id: 'dashboard-1' }] });

    const start = await op('POST', '/v1/admin/reconciliations', {
      provider: 'razorpayx',
      from: new Date(startedAt).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(start.status).toBe(201);
    expect(start.body).toMatchObject({ id: expect.stringMatching(/^rcn_/), status: 'running', provider: 'razorpayx' });
    runId = start.body.id;
    system.reconciler.nudgeReconciliation();
    await completed(runId);
    byPayout = new Map((await allItems(runId)).map((i) => [i.payout_id as string | null | undefined, i]));
  });

  test('each payout is reported with its reason and both sides', async () => {
    expect(byPayout.get(ids.clean)).toMatchObject({ reason: 'matched' });
    expect(byPayout.get(ids.amount)).toMatchObject({
      reason: 'amount_mismatch',
      ours: { amount: '50000', currency: 'INR' },
      theirs: { amount: '49000', currency: 'INR' },
    });
    expect(byPayout.get(ids.fees)).toMatchObject({
      reason: 'fee_mismatch',
      ours: { fees: '500', tax: '90' },
      theirs: { fees: '2000', tax: '360' },
    });
    expect(byPayout.get(ids.status)).toMatchObject({
      reason: 'status_mismatch',
      ours: { status: 'processed' },
      theirs: { status: 'reversed', raw_status: 'reversed' },
    });
    expect(byPayout.get(ids.utr)).toMatchObject({ reason: 'utr_mismatch', theirs: { utr: 'SBX999999999999' } });
    expect(byPayout.get(ids.inFlight)).toMatchObject({
      reason: 'status_mismatch',
      ours: { status: 'processing' },
      theirs: { status: 'processed' },
    });
    expect(byPayout.get(ids.missing)).toMatchObject({
      reason: 'missing_at_provider',
      provider_payout_id: 'pout_NeverGivenOut01',
      ours: { status: 'processed' },
      theirs: null,
    });
    expect(byPayout.get(null)).toMatchObject({
      reason: 'unknown_to_us',
      payout_id: null,
      ours: null,
      theirs: { amount: '7700', status: 'processed' },
    });
  });

  test('the run counts each reason once, and says how far it got', async () => {
    const run = await op('GET', `/v1/admin/reconciliations/${runId}`);
    expect(run.body.counts).toMatchObject({
      matched: 1,
      amount_mismatch: 1,
      fee_mismatch: 1,
      status_mismatch: 2,
      utr_mismatch: 1,
      missing_at_provider: 1,
      unknown_to_us: 1,
    });
    expect(run.body.progress).toMatchObject({ phase: 'done', payouts_total: 7, payouts_checked: 7 });
    expect(run.body.progress.provider_records_seen).toBeGreaterThanOrEqual(7);
    // By default the items are the drifts only.
    const drifts = await op('GET', `/v1/admin/reconciliations/${runId}/items`);
    expect(drifts.body.data.map((i: { reason: string }) => i.reason)).not.toContain('matched');
    expect(drifts.body.data).toHaveLength(7);
    const amounts = await op('GET', `/v1/admin/reconciliations/${runId}/items?reason=amount_mismatch`);
    expect(amounts.body.data.map((i: { payout_id: string }) => i.payout_id)).toEqual([ids.amount]);
  });

  test('the same window again is the same run', async () => {
    const run = await op('GET', `/v1/admin/reconciliations/${runId}`);
    const again = await op('POST', '/v1/admin/reconciliations', {
      provider: 'razorpayx',
      from: run.body.from,
      to: run.body.to,
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(runId);
    const list = await op('GET', '/v1/admin/reconciliations');
    expect(list.body.data[0]).toMatchObject({ id: runId, status: 'completed' });
  });

  test('the status drift of the unfinished payout re-drives it: once its workers run, it is processed', async () => {
    await system.queues.provider('razorpayx').resume();
    const paid = await settled(must(ids.inFlight, 'inFlight'), 'processed');
    expect(paid.utr).toBe('SBX1');
  });

  test('the items export as CSV, both sides in columns', async () => {
    const res = await apiFetch(`${system.api.url}/v1/admin/reconciliations/${runId}/items.csv?reason=amount_mismatch`, {
      headers: { authorization: `Bearer ${system.operatorKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toContain('ours_amount');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(ids.amount);
    expect(lines[1]).toContain('50000');
    expect(lines[1]).toContain('49000');
  });

  test('the CLI runs, shows and exports a reconciliation', async () => {
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(args, {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey },
        fetch,
      });
      return { code, stdout: out.join(''), stderr: err.join('') };
    };
    const run = await op('GET', `/v1/admin/reconciliations/${runId}`);
    const again = await cli([
      'recon',
      'run',
      '--provider',
      'razorpayx',
      '--from',
      run.body.from,
      '--to',
      run.body.to,
      '--wait',
      '--json',
    ]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(again.stdout)).toMatchObject({ id: runId, status: 'completed' });
    const shown = await cli(['recon', 'show', runId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('amount_mismatch 1');
    expect(shown.stdout).toContain(ids.amount);
    const exported = await cli(['recon', 'export', runId, '--reason', 'unknown_to_us', '--output', '-']);
    expect(exported.code).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(2);
    expect(exported.stdout).toContain('unknown_to_us');
    expect((await cli(['recon', 'show', 'po_123'])).code).toBe(2);
  });

  test('a finding is resolved with a note, once, and the operator log says who and why', async () => {
    const item = byPayout.get(ids.fees);
    const path = `/v1/admin/reconciliations/${runId}/items/${item.id}/resolve`;
    const res = await op('POST', path, { note: 'RazorpayX charged the RTGS slab; refund asked' });
    expect(res.status).toBe(200);
    expect(res.body.resolution).toMatchObject({ note: 'RazorpayX charged the RTGS slab; refund asked' });
    const again = await op('POST', path, { note: 'again' });
    expect(again.status).toBe(409);
    const empty = await op('POST', path, { note: '' });
    expect(empty.status).toBe(422);
    const actions = await system.db.db
      .select()
      .from(operatorActions)
      .where(eq(operatorActions.action, 'reconciliation.resolve'));
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ target: ids.fees, params: { run: runId, item: item.id } });
    const unresolved = await op('GET', `/v1/admin/reconciliations/${runId}/items?unresolved=true`);
    expect(unresolved.body.data.map((i: { id: string }) => i.id)).not.toContain(item.id);
  });

  test('bad input names the field, never a 500', async () => {
    const backwards = await op('POST', '/v1/admin/reconciliations', {
      provider: 'razorpayx',
      from: '2026-12-02T00:00:00Z',
      to: '2026-12-01T00:00:00Z',
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors?.[0]?.path ?? JSON.stringify(backwards.body)).toContain('to');
    const unknown = await op('POST', '/v1/admin/reconciliations', {
      provider: 'paypal',
      from: '2026-12-01T00:00:00Z',
      to: '2026-12-02T00:00:00Z',
    });
    expect(unknown.status).toBe(422);
    expect((await op('GET', '/v1/admin/reconciliations/rcn_nope')).status).toBe(404);
    expect((await op('GET', `/v1/admin/reconciliations/${runId}/items?cursor=zzz`)).status).toBe(400);
  });
});

describe('every provider answer is checked against the payout', () => {
  test('an answer naming another amount never posts: needs_attention, provider_mismatch, both values', async () => {
    await system.queues.provider('razorpayx').resume();
    const id = await pay('rc-mismatch', {
      beneficiary: { name: 'Asha Rao', account_number: '999999990003', bank_code: 'HDFC0001234' },
    });
    const inFlight = await settled(id, 'processing');
    // The provider now says it paid 400.00 of our 500.00, and settles it.
    await sandbox('POST', `/payouts/${inFlight.provider_payout_id}/drift`, { amount: 40_000, status: 'processed' });
    const held = await settled(id, 'needs_attention');
    expect(held.failure).toMatchObject({ code: 'provider_mismatch' });
    expect(held.failure.message).toContain('amount: ours 50000');
    expect(held.failure.message).toContain("provider's 40000");

    // Its polls go on (a reversal watch) and see the same answer: recorded once, not once per look.
    await waitFor(
      async () => {
        const job = await system.queues.provider('razorpayx').getJob(jobIds.poll(id));
        return !job || (await job.isCompleted()) ? true : undefined;
      },
      { message: 'the payout poll chain to end' },
    );
    const history = await tenant.api('GET', `/v1/payouts/${id}/events`);
    const mismatches = history.body.data.filter(
      (e: { detail?: { reason?: string } }) => e.detail?.reason === 'provider_mismatch',
    );
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0].detail.mismatches).toEqual([{ field: 'amount', ours: '50000', theirs: '40000' }]);
    // Nothing posted: only the hold is in the ledger for this payout, and the ledger balances.
    const postings = await system.db.db
      .select({ key: ledgerTransactions.idempotencyKey })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.payoutId, id));
    expect(postings.map((p) => p.key).filter((k) => !k.endsWith(':hold'))).toEqual([]);
    const verify = await op('GET', '/v1/admin/ledger/verify');
    expect(verify.body.ok).toBe(true);

    // The mismatch is counted for the alert.
    const metrics = await system.reconciler.registry.metrics();
    expect(metrics).toMatch(
      /payouts_provider_mismatches_total\{[^}]*provider="razorpayx"[^}]*field="amount"[^}]*\} [1-9]/,
    );
  });
});
