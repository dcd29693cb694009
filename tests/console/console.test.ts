import { must, waitFor } from '@payouts/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { stuckBeneficiary } from '../api/security/harness.ts';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';
import { launchChromium, shot, signedIn as signedInWith } from './browser.ts';

/**
 * The console in a real browser (./browser.ts), against the whole system (api serving the built
 * console, worker, reconciler, sandbox). Every wait is on a condition the page shows (Playwright's
 * auto-waiting locators, vitest's expect.poll), with minutes to spare.
 */
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let system: TestSystem;
let browser: Browser;
let a: Awaited<ReturnType<typeof createFundedTenant>>;
let b: Awaited<ReturnType<typeof createFundedTenant>>;
let paidId: string;
let stuckId: string;

beforeAll(async () => {
  system = await startTestSystem();
  a = await createFundedTenant(system, 'console-a', { INR: 50_000_000 });
  b = await createFundedTenant(system, 'console-b', { INR: 1_000_000 });
  const paid = await a.api(
    'POST',
    '/v1/payouts',
    inrPayout({
      reference_id: 'inv-console-1',
      beneficiary: { type: 'employee', name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
    }),
    {
      'idempotency-key': 'console-paid',
    },
  );
  expect(paid.status).toBe(202);
  paidId = paid.body.id;
  // Stays processing at the sandbox (account ending 0003): a dead letter once it stops moving.
  const stuck = await a.api(
    'POST',
    '/v1/payouts',
    inrPayout({ reference_id: 'inv-stuck', beneficiary: stuckBeneficiary }),
    {
      'idempotency-key': 'console-stuck',
    },
  );
  expect(stuck.status).toBe(202);
  stuckId = stuck.body.id;
  await waitFor(async () => (await a.api('GET', `/v1/payouts/${paidId}`)).body.status === 'processed', {
    message: 'the first payout to be processed',
  });
  await waitFor(async () => (await a.api('GET', `/v1/payouts/${stuckId}`)).body.status === 'processing', {
    message: 'the stuck payout to reach processing',
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

const signedIn = (key: string) => signedInWith(browser, system.api.url, key);

describe('the console', () => {
  test('is served with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${system.api.url}/console/payouts/whatever`);
    expect(res.status).toBe(200);
    const csp = must(res.headers.get('content-security-policy'), 'the CSP');
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toContain('/console/assets/');
    const missing = await fetch(`${system.api.url}/console/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('a tenant signs in, reads its balances, finds a payout by reference and reads its timeline', async () => {
    const { context, page, errors } = await signedIn(a.key);
    await expect.poll(() => page.getByTestId('who').textContent()).toContain(a.id);
    // The key is nowhere the page's scripts can reach: not in storage, not in a readable cookie.
    expect(
      await page.evaluate('[document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)]'),
    ).toEqual(['', '{}', '{}']);
    const cookie = must(
      (await context.cookies()).find((c) => c.name === 'payouts_console'),
      'the session cookie',
    );
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookie.value).not.toContain(a.key);

    await page.getByTestId('balances').getByText('INR').first().waitFor();
    await page.getByTestId('in-flight').getByRole('table').or(page.getByText('Nothing in flight')).first().waitFor();
    await shot(page, 'overview-tenant');

    await page.getByRole('link', { name: 'Payouts', exact: true }).click();
    await page.getByLabel('Reference').fill('inv-console-1');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByTestId('payouts').getByRole('row').filter({ hasText: 'inv-console-1' });
    await row.waitFor();
    await expect.poll(() => page.getByTestId('payouts').getByRole('row').count()).toBe(2);
    await shot(page, 'payouts');
    await row.getByRole('link', { name: paidId }).click();
    await page.getByTestId('payout-status').getByText('processed').waitFor();
    // Who the beneficiary is to the tenant, beside their account.
    await page
      .getByTestId('payout')
      .getByText(/Asha Rao .*· employee/)
      .waitFor();
    // Every event of the API's history is on the page's timeline, processed among them (a late
    // report that was not applied may come after it, shown as not applied).
    const history = await a.api('GET', `/v1/payouts/${paidId}/events`);
    const states: string[] = history.body.data.map((e: { to_status: string }) => e.to_status);
    expect(states).toContain('processed');
    const timeline = page.getByTestId('timeline');
    await expect.poll(() => timeline.getByRole('listitem').count()).toBe(states.length);
    for (const state of new Set(states)) {
      await timeline.getByText(state, { exact: true }).first().waitFor();
    }
    await shot(page, 'payout-timeline');

    // An admin key's session also sees the tenant's webhook endpoints.
    const endpoint = await a.api(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'https://example.com/hooks/console' },
      {
        'idempotency-key': 'console-endpoint',
      },
    );
    expect(endpoint.status).toBe(201);
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByTestId('endpoints').getByText('https://example.com/hooks/console').waitFor();
    // And the overview shows its delivery backlog, per endpoint.
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const backlog = page
      .getByTestId('webhook-backlog')
      .getByRole('row')
      .filter({ hasText: 'https://example.com/hooks/console' });
    await backlog.waitFor();
    expect(await backlog.locator('td').nth(2).textContent()).toBe('0');
    expect(errors).toEqual([]);
    await context.close();
  });

  test('a CSV with a bad row shows the row’s error; a good one is submitted and watched to the end', async () => {
    const { context, page, errors } = await signedIn(a.key);
    await page.getByRole('link', { name: 'Batches', exact: true }).click();
    const header =
      'amount,currency,method,purpose,reference_id,beneficiary_name,beneficiary_account_number,beneficiary_bank_code';
    const row = (i: number, amount: string | number) =>
      `${amount},INR,IMPS,salary,console-run-${i},Employee ${i},50000000${String(i + 10).padStart(4, '0')},HDFC0001234`;
    const bad = [header, row(1, 10_000), row(2, 'twelve'), row(3, 12_000)].join('\n');
    await page
      .getByTestId('csv-file')
      .setInputFiles({ name: 'bad-run.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    const errorsTable = page.getByTestId('row-errors');
    const badRow = errorsTable.getByRole('row').filter({ hasText: 'console-run-2' });
    await badRow.waitFor();
    expect(await badRow.textContent()).toContain('amount');
    await page.getByTestId('verdict').getByText('Would be refused').waitFor();
    await page.getByTestId('totals').getByText('razorpayx').waitFor();
    await shot(page, 'batch-preview');
    expect(await page.getByRole('button', { name: /Submit/ }).isDisabled()).toBe(true);

    const good = [header, ...Array.from({ length: 5 }, (_, i) => row(i + 10, 10_000 + i))].join('\n');
    await page
      .getByTestId('csv-file')
      .setInputFiles({ name: 'good-run.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await page.getByTestId('verdict').getByText('Ready to submit').waitFor();
    await page.getByRole('button', { name: 'Submit 5 payout(s)' }).click();
    await page.getByTestId('batch').waitFor();
    await page.getByTestId('batch-status').getByText('completed').waitFor();
    await page.getByText('5 of 5 payouts final').waitFor();
    await shot(page, 'batch-progress');
    const href = must(await page.getByTestId('results').getAttribute('href'), 'the results link');
    // The download is an ordinary same-origin GET with the session cookie.
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href);
    expect(csv.trim().split('\n')).toHaveLength(6);
    expect(errors).toEqual([]);
    await context.close();
  });

  test('an operator sees what needs a human, replays a dead letter, and manages tenants and keys', async () => {
    const { context, page, errors } = await signedIn(system.operatorKey);
    await expect.poll(() => page.getByTestId('who').textContent()).toContain('Operator');
    await page.getByTestId('dead-letter-count').waitFor();
    // Every provider's health, from GET /v1/admin/providers: at rest, nothing holds any of them.
    const health = page.getByTestId('provider-health');
    for (const provider of ['razorpayx', 'krayon', 'thai-gateway', 'druo']) {
      await health.getByTestId(`gate-${provider}`).getByText('nothing').waitFor();
    }
    await shot(page, 'overview-operator');

    await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
    await page.getByTestId('older-than').fill('0');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.locator(`tr[data-payout="${stuckId}"]`);
    await row.waitFor();
    await page.getByRole('button', { name: 'Dry run: replay all that match' }).click();
    await page.getByText(/\d+ would be replayed/).waitFor();
    await shot(page, 'dead-letters');
    await row.getByRole('button', { name: 'Replay' }).click();
    await row.getByText(/replayed|nothing to replay/).waitFor();
    const actions = await client(system.api.url, system.operatorKey)(
      'GET',
      `/v1/admin/operator-actions?target=${stuckId}`,
    );
    expect(actions.body.data.map((x: { action: string }) => x.action)).toContain('payout.replay');
    // The dead letter's own page: any tenant's payout, its history, the operator's actions.
    await row.getByRole('link', { name: stuckId }).click();
    await page.getByTestId('payout-status').getByText('processing').waitFor();
    await page.getByTestId('timeline').getByText('processing', { exact: true }).first().waitFor();
    await page.getByTestId('payout').getByRole('button', { name: 'Replay' }).waitFor();
    await shot(page, 'payout-operator');
    await page.getByRole('link', { name: '← Dead letters' }).click();
    await page.getByTestId('older-than').waitFor();

    // Any tenant's payouts, searched with the tenant's own filters.
    await page.getByRole('link', { name: 'Payouts', exact: true }).click();
    await page.getByLabel('Tenant').fill(a.id);
    await page.getByLabel('Reference').fill('inv-console-1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('payouts').getByRole('link', { name: paidId }).waitFor();
    await expect.poll(() => page.getByTestId('payouts').getByRole('row').count()).toBe(2);

    await page.getByRole('link', { name: 'Tenants & keys' }).click();
    await page.getByTestId('tenants').getByRole('button', { name: b.id }).click();
    await page.getByLabel('Label (who holds it)').fill('finance: console test');
    await page.getByRole('button', { name: 'Issue a key' }).click();
    await page.getByTestId('issued-key').waitFor();
    const keyRow = page.getByTestId('keys').getByRole('row').filter({ hasText: 'finance: console test' });
    await keyRow.waitFor();
    await shot(page, 'tenants-keys');
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    // Revoked: the list reloads with the key's revocation time, and no Revoke button on its row.
    await keyRow.getByRole('button', { name: 'Revoke' }).waitFor({ state: 'detached' });
    const keys = await client(system.api.url, system.operatorKey)('GET', `/v1/admin/tenants/${b.id}/api-keys`);
    const revoked = keys.body.data.find((k: { label: string | null }) => k.label === 'finance: console test');
    expect(revoked.revoked_at).not.toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  test("a tenant session cannot reach another tenant's payout or an operator page", async () => {
    const { context, page } = await signedIn(b.key);
    await page.goto(`${system.api.url}/console/payouts/${paidId}`);
    await page
      .getByRole('alert')
      .getByText(/not found/i)
      .waitFor();
    expect(await page.getByTestId('payout').count()).toBe(0);
    await page.goto(`${system.api.url}/console/operations/dead-letters`);
    await page
      .getByRole('alert')
      .getByText(/for operator sessions/)
      .waitFor();
    expect(await page.getByRole('link', { name: 'Dead letters' }).count()).toBe(0);
    // And the API itself refuses the session, whatever a page would draw.
    const status = await page.evaluate(async () => (await fetch('/v1/admin/dead-letters')).status);
    expect(status).toBe(403);
    const foreign = await page.evaluate(async (id) => (await fetch(`/v1/payouts/${id}`)).status, paidId);
    expect(foreign).toBe(404);
    await context.close();
  });

  test('signing out ends the session: the page asks for a key again', async () => {
    const { context, page } = await signedIn(a.key);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(async () => (await fetch('/v1/balances')).status)).toBe(401);
    await context.close();
  });
});
