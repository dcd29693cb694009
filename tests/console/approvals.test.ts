import { waitFor } from '@payouts/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';
import { launchChromium, shot, signedIn } from './browser.ts';

/**
 * The console's pages for approvals, reconciliation, provider downtimes and saved beneficiaries, in a
 * real browser against the whole system (./browser.ts). Waits are on what the page shows.
 */
vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

let system: TestSystem;
let browser: Browser;
let op: ReturnType<typeof client>;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let maker: ReturnType<typeof client>;
let makerKey: string;
let approverKey: string;
/** The payout approved on the console, paid through RazorpayX. */
let approvedId: string;

beforeAll(async () => {
  // No nightly run: the reconciliation below is the operator's own.
  system = await startTestSystem({ env: { RECONCILIATION_NIGHTLY_AT: 'off' } });
  op = client(system.api.url, system.operatorKey);
  tenant = await createFundedTenant(system, 'console-approvals', { INR: 50_000_000 });
  // Payouts, and runs totalling, from INR 1,000.00 wait for one approver who is not their maker.
  const policy = await tenant.api('PUT', '/v1/approval-policy', {
    rules: [
      { kind: 'payout', min_amount: { INR: 100_000 }, approvals_required: 1 },
      { kind: 'batch', min_amount: { INR: 100_000 }, approvals_required: 1 },
    ],
  });
  expect(policy.status).toBe(200);
  const key = async (role: string, label: string) => {
    const issued = await op('POST', `/v1/admin/tenants/${tenant.id}/api-keys`, { role, label });
    expect(issued.status).toBe(201);
    return issued.body.key as string;
  };
  makerKey = await key('maker', 'Asha (payroll)');
  maker = client(system.api.url, makerKey);
  approverKey = await key('approver', 'Ravi (finance)');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('approvals on the console', () => {
  test('a maker’s payout caught by the policy waits; an approver approves it on the console and it is processed; another is rejected with a reason', async () => {
    const create = async (reference: string) => {
      const res = await maker('POST', '/v1/payouts', inrPayout({ amount: 250_000, reference_id: reference }), {
        'idempotency-key': reference,
      });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('pending_approval');
      return res.body.id as string;
    };
    const approveId = await create('inv-approve-1');
    approvedId = approveId;
    const rejectId = await create('inv-reject-1');

    const { context, page, errors } = await signedIn(browser, system.api.url, approverKey);
    await expect.poll(() => page.getByTestId('pending-approvals').textContent(), { timeout: 120_000 }).toBe('2');
    await page.getByRole('link', { name: 'Approvals', exact: true }).click();
    const waiting = page.getByTestId('approvals');
    await waiting.locator(`tr[data-subject="${approveId}"]`).getByText('Asha (payroll)').waitFor();
    await waiting.locator(`tr[data-subject="${rejectId}"]`).waitFor();
    await shot(page, 'approvals');

    // Rejected from the list, with its reason: the payout is cancelled.
    const rejectRow = waiting.locator(`tr[data-subject="${rejectId}"]`);
    await rejectRow.getByLabel(`Reason to reject ${rejectId}`).fill('duplicate of inv-approve-1');
    await rejectRow.getByRole('button', { name: 'Reject' }).click();
    await rejectRow.waitFor({ state: 'detached' });
    await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${rejectId}`)).body.status === 'cancelled', {
      message: 'the rejected payout to be cancelled',
    });

    // Approved on its own page: it leaves pending_approval and is paid.
    await waiting.getByRole('link', { name: approveId }).click();
    await page.getByTestId('payout-status').getByText('pending approval').waitFor();
    await page.getByTestId(`decide-${approveId}`).getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('payout-status').getByText('processed').waitFor({ timeout: 180_000 });
    const approval = await tenant.api('GET', '/v1/approvals?status=approved');
    expect(approval.body.data.map((a: { subject_id: string }) => a.subject_id)).toContain(approveId);
    expect(errors).toEqual([]);
    await context.close();
  });

  test('a run caught by the policy waits as a whole; an approver approves it on its batch page and it completes', async () => {
    const items = Array.from({ length: 3 }, (_, i) => inrPayout({ amount: 50_000, reference_id: `run-approve-${i}` }));
    const upload = await maker('POST', '/v1/payout-batches', { items }, { 'idempotency-key': 'console-run' });
    expect(upload.status, JSON.stringify(upload.body)).toBe(202);
    expect(upload.body.status).toBe('pending_approval');
    const batchId = upload.body.id as string;

    const { context, page, errors } = await signedIn(browser, system.api.url, approverKey);
    await page.getByRole('link', { name: 'Approvals', exact: true }).click();
    await page.getByTestId('approvals').getByRole('link', { name: batchId }).click();
    await page.getByTestId('batch-status').getByText('pending approval').waitFor();
    await page.getByTestId(`decide-${batchId}`).getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('batch-status').getByText('completed').waitFor({ timeout: 180_000 });
    await page.getByText('3 of 3 payouts final').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  test('an operator starts a reconciliation run, sees it complete with its counts, and resolves its drift with a note', async () => {
    // The provider's record of the approved payout drifts: it says INR 10.00 less was paid.
    const providerPayoutId = (await tenant.api('GET', `/v1/payouts/${approvedId}`)).body.provider_payout_id;
    const drift = await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${providerPayoutId}/drift`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 249_000 }),
    });
    expect(drift.ok).toBe(true);

    const { context, page, errors } = await signedIn(browser, system.api.url, system.operatorKey);
    await page.getByRole('link', { name: 'Reconciliation', exact: true }).click();
    // A window around now, whatever the hour: yesterday to tomorrow (UTC days).
    const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    const form = page.getByTestId('start-run');
    await form.getByLabel('Provider').selectOption('razorpayx');
    await form.getByLabel(/^From/).fill(dayOffset(-1));
    await form.getByLabel(/^To/).fill(dayOffset(1));
    await form.getByRole('button', { name: 'Start the run' }).click();
    await page.getByTestId('run').waitFor();
    await page.getByTestId('run-status').getByText('completed').waitFor({ timeout: 180_000 });
    const runId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const run = await op('GET', `/v1/admin/reconciliations/${runId}`);
    expect(run.body.status).toBe('completed');
    // The run's payouts were paid through RazorpayX: matched; the rejected one never left (not sent).
    expect(run.body.counts.matched).toBeGreaterThanOrEqual(3);
    const counts = page.getByTestId('run-counts');
    for (const [reason, n] of Object.entries(run.body.counts as Record<string, number>)) {
      await expect.poll(() => counts.locator(`tr[data-reason="${reason}"] td`).nth(1).textContent()).toBe(String(n));
    }
    await page.getByTestId('run-progress').getByText('Payouts checked').waitFor();
    expect(run.body.counts.amount_mismatch).toBe(1);
    // The drift, both sides, resolved with a note.
    const item = page.getByTestId('items').getByRole('row').filter({ hasText: approvedId });
    await item.getByText('249000').waitFor();
    await item.getByText('250000').waitFor();
    await item.getByRole('textbox').fill('RazorpayX confirmed INR 2,500.00 was paid; their export was wrong');
    await item.getByRole('button', { name: 'Resolve' }).click();
    await item.getByText(/their export was wrong/).waitFor();
    const resolved = await op('GET', `/v1/admin/reconciliations/${runId}/items?reason=amount_mismatch`);
    expect(resolved.body.data[0].resolution.note).toContain('their export was wrong');
    await page.getByLabel('Reason').selectOption('all');
    await page.getByTestId('items').getByText('matched').first().waitFor();
    await shot(page, 'reconciliation-run');
    const csv = await page.evaluate(
      async (url) => (await fetch(url)).status,
      (await page.getByTestId('items-csv').getAttribute('href')) ?? '',
    );
    expect(csv).toBe(200);
    await page.getByRole('link', { name: '← Reconciliation' }).click();
    await page.getByTestId('runs').getByRole('link', { name: runId }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  test('an operator declares a provider downtime, sees it on the overview, and ends it', async () => {
    const { context, page, errors } = await signedIn(browser, system.api.url, system.operatorKey);
    await page.getByRole('link', { name: 'Downtimes', exact: true }).click();
    await page.getByLabel('Provider').selectOption('krayon');
    const form = page.getByTestId('declare-downtime');
    await form.getByLabel(/^Modes/).fill('IMPS');
    await form.getByRole('button', { name: 'Declare' }).click();
    const row = page.getByTestId('downtimes').getByRole('row').filter({ hasText: 'IMPS' });
    await row.getByText('active', { exact: true }).waitFor();
    await shot(page, 'downtimes');
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByTestId('provider-health').locator('tr[data-provider="krayon"]').getByText('IMPS').waitFor();
    await page.getByRole('link', { name: 'Downtimes', exact: true }).click();
    await page.getByLabel('Provider').selectOption('krayon');
    await row.getByRole('button', { name: 'End now' }).click();
    // Ended: the list reloads with the row no longer active (and no End button).
    await row.getByRole('button', { name: 'End now' }).waitFor({ state: 'detached' });
    await expect.poll(() => row.locator('td').nth(4).textContent()).toBe('no');
    const list = await op('GET', '/v1/admin/providers/krayon/downtimes?active=true');
    expect(list.body.data).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  test('a maker saves a beneficiary on the console, reads its versions, finds it by name, and archives it', async () => {
    const { context, page, errors } = await signedIn(browser, system.api.url, makerKey);
    await page.getByRole('link', { name: 'Beneficiaries', exact: true }).click();
    const form = page.getByTestId('new-beneficiary');
    await form.getByLabel('Full name').fill('Meera Iyer');
    await form.getByLabel('Your reference').fill('emp-2207');
    await form.getByLabel('Account number').fill('123456789012');
    await form.getByLabel(/^Bank code/).fill('HDFC0001234');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('beneficiary').getByText('active', { exact: true }).waitFor();
    // Masked, first and last four; version 1 set by the maker's key (its label).
    const versions = page.getByTestId('versions');
    await versions.getByText('Asha (payroll)').waitFor();
    await versions.getByText(/1234\*+9012/).waitFor();
    await shot(page, 'beneficiary');
    const saved = await maker('GET', '/v1/beneficiaries?reference_id=emp-2207');
    expect(saved.body.data).toHaveLength(1);
    const id = saved.body.data[0].id as string;
    expect(new URL(page.url()).pathname).toBe(`/console/beneficiaries/${id}`);

    await page.getByRole('link', { name: '← Beneficiaries' }).click();
    await page.getByLabel('Name', { exact: true }).fill('meera');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('beneficiaries').getByRole('link', { name: 'Meera Iyer' }).click();
    await page.getByTestId('beneficiary').getByRole('button', { name: 'Archive' }).click();
    await page.getByTestId('beneficiary-state').getByText('archived').waitFor();
    expect((await maker('GET', `/v1/beneficiaries/${id}`)).body.archived).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
  test('a maker edits a saved beneficiary on the console: a bad email is refused beside its field; a new account makes version 2', async () => {
    const created = await maker(
      'POST',
      '/v1/beneficiaries',
      {
        type: 'vendor',
        name: 'Kiran Traders',
        email: 'accounts@kiran.example',
        bank_account: { account_number: '555566667777', bank_code: 'HDFC0001234' },
      },
      { 'idempotency-key': 'console-edit-beneficiary' },
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const { context, page, errors } = await signedIn(browser, system.api.url, makerKey);
    await page.goto(`${system.api.url}/console/beneficiaries/${id}`);
    const edit = page.getByTestId('edit-beneficiary');
    await edit.getByLabel('Email').fill('not an email');
    await edit.getByLabel('Phone').fill('+919812345678');
    await edit.getByRole('button', { name: 'Save the changes' }).click();
    await edit.getByTestId('error-email').waitFor();
    expect(await edit.getByTestId('error-email').textContent()).toMatch(/email/i);
    // Refused as a whole: nothing was written, the phone included.
    const unchanged = await maker('GET', `/v1/beneficiaries/${id}`);
    expect(unchanged.body).toMatchObject({ email: 'accounts@kiran.example', phone: null, version: 1 });

    await edit.getByLabel('Email').fill('payables@kiran.example');
    await edit.getByLabel('New account number').fill('888899990000');
    await edit.getByLabel(/^New bank code/).fill('ICIC0000001');
    await edit.getByRole('button', { name: 'Save the changes' }).click();
    await edit.getByText('saved: version 2').waitFor();
    expect(await edit.getByTestId('error-email').count()).toBe(0);
    const versions = page.getByTestId('versions');
    await versions.getByText(/8888\*+0000/).waitFor();
    await expect.poll(() => versions.getByRole('row').count()).toBe(3);
    await page
      .getByTestId('beneficiary')
      .getByText(/8888\*+0000 ICIC0000001/)
      .waitFor();
    await shot(page, 'beneficiary-edit');
    const after = await maker('GET', `/v1/beneficiaries/${id}`);
    expect(after.body).toMatchObject({
      email: 'payables@kiran.example',
      phone: '+919812345678',
      version: 2,
      bank_account: { account_number: '8888****0000', bank_code: 'ICIC0000001' },
    });
    // The account fields are empty again: saving once more changes nothing.
    await edit.getByRole('button', { name: 'Save the changes' }).click();
    await edit.getByText('nothing changed').waitFor();
    expect((await maker('GET', `/v1/beneficiaries/${id}`)).body.version).toBe(2);
    expect(errors).toEqual([]);
    await context.close();
  });

  test('an admin edits the approval policy as a form; the API’s errors show beside the fields they name', async () => {
    const before = await tenant.api('GET', '/v1/approval-policy');
    const { context, page, errors } = await signedIn(browser, system.api.url, tenant.key);
    await page.getByRole('link', { name: 'Approvals', exact: true }).click();
    const policy = page.getByTestId('approval-policy');
    // The saved rules, amounts in major units.
    await expect.poll(() => policy.getByTestId('rule-0').getByLabel('From INR').inputValue()).toBe('1000.00');
    expect(await policy.getByTestId('rule-1').getByLabel('Applies to').inputValue()).toBe('batch');

    // Two mistakes the API names: a rule with no minimum at all, and an expiry past 90 days.
    await policy.getByTestId('rule-1').getByLabel('From INR').fill('');
    await policy.getByLabel('An approval expires after (hours)').fill('5000');
    await policy.getByRole('button', { name: 'Save the policy' }).click();
    await policy
      .getByTestId('error-expires_after_hours')
      .getByText(/at most 2160/)
      .waitFor();
    await policy
      .getByTestId('rule-1')
      .getByTestId('error-rules.1.min_amount')
      .getByText(/at least one currency/)
      .waitFor();
    expect(await policy.getByTestId('rule-0').locator('.field-error').count()).toBe(0);
    await shot(page, 'approval-policy');
    // And one the form tells by itself.
    await policy.getByTestId('rule-0').getByLabel('From THB').fill('12,5x');
    await policy.getByRole('button', { name: 'Save the policy' }).click();
    await policy
      .getByTestId('error-rules.0.min_amount.THB')
      .getByText(/amount such as/)
      .waitFor();
    // Nothing was saved.
    expect((await tenant.api('GET', '/v1/approval-policy')).body).toEqual(before.body);

    await policy.getByTestId('rule-0').getByLabel('From THB').fill('');
    await policy.getByTestId('rule-1').getByLabel('From THB').fill('2,500.50');
    await policy.getByRole('button', { name: 'Add a rule' }).click();
    const added = policy.getByTestId('rule-2');
    await added.getByLabel('From USD').fill('100');
    await added.getByLabel('Approvals').selectOption('2');
    await policy.getByLabel('An approval expires after (hours)').fill('48');
    await policy.getByRole('button', { name: 'Save the policy' }).click();
    await policy.getByText('saved', { exact: true }).waitFor();
    expect(await policy.locator('.field-error').count()).toBe(0);
    const saved = await tenant.api('GET', '/v1/approval-policy');
    expect(saved.body).toEqual({
      object: 'approval_policy',
      rules: [
        { kind: 'payout', min_amount: { INR: 100_000 }, approvals_required: 1 },
        { kind: 'batch', min_amount: { THB: 250_050 }, approvals_required: 1 },
        { kind: 'payout', min_amount: { USD: 10_000 }, approvals_required: 2 },
      ],
      expires_after_hours: 48,
    });
    // Reloaded, the form shows what was saved.
    await page.reload();
    await expect.poll(() => policy.getByTestId('rule-2').getByLabel('From USD').inputValue()).toBe('100.00');
    expect(await policy.getByLabel('An approval expires after (hours)').inputValue()).toBe('48');
    expect(errors).toEqual([]);
    await context.close();
    const restored = await tenant.api('PUT', '/v1/approval-policy', {
      rules: before.body.rules,
      expires_after_hours: before.body.expires_after_hours,
    });
    expect(restored.status).toBe(200);
  });

  test('the operator overview shows each provider’s health: one short of float is held with its payouts parked, until funded', async () => {
    const funding = await op('POST', `/v1/admin/tenants/${tenant.id}/fundings`, {
      currency: 'THB',
      amount: 10_000_000,
      reference: 'console-health-thb',
    });
    expect(funding.status).toBe(201);
    const setFloat = (amount: number) =>
      fetch(`${system.sandbox.url}/_admin/thai-gateway/balance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount }),
      });
    expect((await setFloat(0)).ok).toBe(true);
    const parked = await tenant.api(
      'POST',
      '/v1/payouts',
      {
        amount: 20_000,
        currency: 'THB',
        method: 'bank_account',
        beneficiary: { name: 'Somchai Jaidee', account_number: '1234567895', bank_code: '004' },
      },
      { 'idempotency-key': 'console-health-thb-1' },
    );
    expect(parked.status).toBe(202);
    await waitFor(
      async () => (await tenant.api('GET', `/v1/payouts/${parked.body.id}`)).body.status === 'queued' || undefined,
      { message: 'the THB payout parked on the empty float' },
    );

    const { context, page, errors } = await signedIn(browser, system.api.url, system.operatorKey);
    const card = page.getByTestId('provider-health');
    for (const provider of ['razorpayx', 'krayon', 'thai-gateway', 'druo']) {
      await card.locator(`tr[data-provider="${provider}"]`).waitFor();
    }
    await card
      .getByTestId('gate-thai-gateway')
      .getByText(/float low/)
      .waitFor();
    await card.getByTestId('parked-thai-gateway').getByText('1 provider low balance').waitFor();
    expect(await card.getByTestId('circuit-razorpayx').textContent()).toBe('closed');
    expect(await card.getByTestId('gate-razorpayx').textContent()).toBe('nothing');
    await card.locator('tr[data-provider="krayon"]').getByText('1000/s').waitFor();

    expect((await setFloat(1_000_000_000)).ok).toBe(true);
    expect((await op('POST', '/v1/admin/providers/thai-gateway/funded')).status).toBe(200);
    // The card reads the API again every 10 s.
    await card.getByTestId('gate-thai-gateway').getByText('nothing').waitFor();
    await card.getByTestId('parked-thai-gateway').getByText('0', { exact: true }).waitFor();
    await waitFor(
      async () => (await tenant.api('GET', `/v1/payouts/${parked.body.id}`)).body.status === 'processed' || undefined,
      { message: 'the released payout processed' },
    );
    expect(errors).toEqual([]);
    await context.close();
  });
});
