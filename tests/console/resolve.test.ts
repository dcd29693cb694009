import { waitFor } from '@payouts/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';
import { launchChromium, signedIn } from './browser.ts';

/**
 * An operator resolves a payout that needs attention from its page on the console
 * (POST /v1/admin/payouts/{id}/resolve): the provider is asked first, and while it still has the
 * payout in progress the console shows the API's refusal; once the provider settles it, resolving
 * applies the provider's answer.
 */
vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

let system: TestSystem;
let browser: Browser;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  // A provider deadline of 1.5 s so a payout that stays in progress needs attention quickly.
  system = await startTestSystem({ env: { POLL_DEADLINE_MS: '1500', RECONCILIATION_NIGHTLY_AT: 'off' } });
  tenant = await createFundedTenant(system, 'console-resolve', 10_000_000);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

describe('resolving a payout in needs_attention on the console', () => {
  test("the provider still processing is shown as the API's refusal; once it settles, Resolve applies its answer", async () => {
    // The sandbox keeps a payout to an account ending 0003 in progress.
    const created = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Stuck', account_number: '999901010003', bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'console-resolve' },
    );
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await waitFor(async () => (await tenant.api('GET', `/v1/payouts/${id}`)).body.status === 'needs_attention', {
      message: 'the payout to need attention',
    });

    const { context, page, errors } = await signedIn(browser, system.api.url, system.operatorKey);
    await page.goto(`${system.api.url}/console/payouts/${id}`);
    await page.getByTestId('payout-status').getByText('needs attention').waitFor();
    const form = page.getByTestId('resolve');
    // An operator's outcome is not taken while the provider can tell (it still processes it).
    await form.getByLabel(/^Outcome/).selectOption('failed');
    await form.getByLabel('Statement line').fill('no debit on the statement of 6 Dec');
    await form.getByRole('button', { name: 'Resolve' }).click();
    await form
      .getByRole('alert')
      .getByText(/process/i)
      .waitFor();

    const providerPayoutId = (await tenant.api('GET', `/v1/payouts/${id}`)).body.provider_payout_id as string;
    const forced = await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${providerPayoutId}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'processed' }),
    });
    expect(forced.ok).toBe(true);
    // Only the provider's answer this time: no outcome, so no evidence either.
    await form.getByLabel(/^Outcome/).selectOption('');
    await form.getByLabel('Statement line').fill('');
    await form.getByRole('button', { name: 'Resolve' }).click();
    // Resolved: the payout is processed, and the form (for payouts needing attention) is gone.
    await page.getByTestId('payout-status').getByText('processed').waitFor();
    await form.waitFor({ state: 'detached' });
    expect((await tenant.api('GET', `/v1/payouts/${id}`)).body.status).toBe('processed');
    const actions = await client(system.api.url, system.operatorKey)('GET', `/v1/admin/operator-actions?target=${id}`);
    expect(actions.body.data[0]).toMatchObject({
      action: 'payout.resolve',
      result: expect.objectContaining({ resolved_by: 'provider', status: 'processed' }),
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
