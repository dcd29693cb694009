import { ensureOperatorKey } from '@payouts/api';
import { operatorActions, replayRequests } from '@payouts/db';
import { must, waitFor } from '@payouts/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * OPERATOR_APPROVALS=on (docs/operations.md, "Operator approvals"): a bulk replay is stored, not
 * run, until a second operator key approves it; the operator who asked may not approve it.
 */
let system: TestSystem;
let op: ReturnType<typeof client>;
let second: ReturnType<typeof client>;
const SECOND_OPERATOR_KEY = 'op_second_key_0123456789abcdef';

beforeAll(async () => {
  // A provider deadline of 1.5 s so a payout that stays in progress needs attention quickly.
  system = await startTestSystem({ env: { POLL_DEADLINE_MS: '1500', OPERATOR_APPROVALS: 'on' } });
  op = client(system.api.url, system.operatorKey);
  await ensureOperatorKey(system.db.db, SECOND_OPERATOR_KEY);
  second = client(system.api.url, SECOND_OPERATOR_KEY);
});
afterAll(async () => {
  await system?.stop();
});

describe('operator approvals of bulk replays', () => {
  test('a bulk replay waits for a second operator; the same key may not approve it; a dry run needs nobody', {
    timeout: 120_000,
  }, async () => {
    const tenant = await createFundedTenant(system, 'op-approvals');
    // Ends in 0003: stays in progress at the sandbox, so it comes to need attention.
    const created = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Asha Rao', account_number: '555566660003', bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'op-appr-1' },
    );
    const id = created.body.id as string;
    await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${id}`)).body.status === 'needs_attention', {
      message: 'the payout to need attention',
    });
    const body = { filters: { state: 'needs_attention', older_than: 0 }, dry_run: false };

    const dry = await op('POST', '/v1/admin/replays', { ...body, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true, replayed: 0 });

    const asked = await op('POST', '/v1/admin/replays', body);
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ object: 'replay_request', status: 'pending_approval', dry_run: false });
    const requestId = asked.body.id as string;
    // Nothing ran: no replay recorded, only the request.
    const replays = await system.db.db
      .select()
      .from(operatorActions)
      .where(eq(operatorActions.action, 'payouts.replay'));
    expect(replays).toEqual([]);

    const self = await op('POST', `/v1/admin/replays/${requestId}/approve`);
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('approver_is_maker');

    const approved = await second('POST', `/v1/admin/replays/${requestId}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ dry_run: false, request_id: requestId });
    expect(approved.body.payouts.map((p: { payout_id: string }) => p.payout_id)).toContain(id);
    const [request] = await system.db.db.select().from(replayRequests).where(eq(replayRequests.id, requestId));
    expect(must(request, 'the replay request')).toMatchObject({ status: 'approved', result: { matched: 1 } });
    const recorded = await system.db.db
      .select()
      .from(operatorActions)
      .where(eq(operatorActions.action, 'payouts.replay'));
    expect(recorded).toMatchObject([{ result: { request_id: requestId, requested_by: expect.any(String) } }]);

    const twice = await second('POST', `/v1/admin/replays/${requestId}/approve`);
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'not_pending_approval', current_status: 'approved' });
    expect((await second('POST', '/v1/admin/replays/rpl_01JDA8Z6B9Y4X3W2V1T0S9R8Q7/approve')).status).toBe(404);
    expect((await op('GET', '/v1/admin/audit/verify')).body.ok).toBe(true);
  });
});
