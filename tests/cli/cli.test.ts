import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../apps/cli/src/cli.ts';
import { client, createFundedTenant, inrPayout, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * The operator CLI, run in-process against a whole running system (api, reconciler, worker,
 * sandbox over real Postgres and Redis), exactly as an operator would use it.
 */
let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;

beforeAll(async () => {
  // A provider deadline of 1.5 s so a payout the sandbox keeps processing needs attention quickly.
  system = await startTestSystem({ env: { POLL_DEADLINE_MS: '1500' } });
  tenant = await createFundedTenant(system, 'cli', 10_000_000);
});
afterAll(async () => {
  await system?.stop();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  /** Every URL the CLI asked for. */
  requests: string[];
}

async function cli(
  args: string[],
  options: { env?: Record<string, string | undefined>; fetch?: typeof fetch } = {},
): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const requests: string[] = [];
  const inner = options.fetch ?? fetch;
  const code = await run(args, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: options.env ?? { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey },
    fetch: ((input, init) => {
      requests.push(String(input));
      return inner(input, init);
    }) as typeof fetch,
  });
  return { code, stdout: out.join(''), stderr: err.join(''), requests };
}

async function payoutStatus(id: string, api = tenant.api) {
  return (await api('GET', `/v1/payouts/${id}`)).body;
}
async function settle(id: string, want: string, api = tenant.api) {
  return waitFor(async () => ((await payoutStatus(id, api)).status === want ? payoutStatus(id, api) : undefined), {
    message: `${id} → ${want}`,
  });
}

describe('tenants, keys and funding', () => {
  test('creates a tenant (idempotently), issues its key once, and funds it in minor and major units', async () => {
    const created = await cli(['tenants', 'create', 'CLI Acme', '--json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const tenantId = JSON.parse(created.stdout).id as string;
    expect(tenantId).toMatch(/^ten_/);

    const first = await cli(['tenants', 'create', 'CLI Retry', '--idempotency-key', 'cli-test-retry-1']);
    const again = await cli(['tenants', 'create', 'CLI Retry', '--idempotency-key', 'cli-test-retry-1']);
    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    expect(first.stdout).toMatch(/tenant:\s+ten_/);
    expect(again.stdout).toContain('replayed');
    const idOf = (s: string) => /tenant:\s+(ten_\S+)/.exec(s)?.[1];
    expect(idOf(again.stdout)).toBe(idOf(first.stdout));

    const issued = await cli(['keys', 'issue', tenantId]);
    expect(issued.code).toBe(0);
    expect(issued.stderr).toContain('shown once');
    const key = /key:\s+(sk_test_\S+)/.exec(issued.stdout)?.[1];
    expect(key).toBeDefined();
    const api = client(system.api.url, key);

    const minor = await cli(['fund', tenantId, 'INR', '5000000', '--reference', 'cli-seed-1']);
    expect(minor.code).toBe(0);
    expect(minor.stdout).toMatch(/funded:\s+yes/);
    expect(minor.stdout).toMatch(/available:\s+INR 50000\.00/);

    const major = await cli(['fund', tenantId, 'inr', '250.50', '--major', '--reference', 'cli-seed-2', '--json']);
    expect(major.code).toBe(0);
    expect(JSON.parse(major.stdout)).toMatchObject({
      currency: 'INR',
      amount: 25_050,
      funded: true,
      balance: { available: 5_025_050, held: 0 },
    });

    const replayed = await cli(['fund', tenantId, 'INR', '5000000', '--reference', 'cli-seed-1']);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/funded:\s+no \(this reference had funded already\)/);

    const reused = await cli(['fund', tenantId, 'INR', '100', '--reference', 'cli-seed-1']);
    expect(reused.code).toBe(1);
    expect(reused.stdout).toBe('');
    expect(reused.stderr).toContain('funding_reference_reused');
    expect(reused.stderr).toMatch(/^ {2}reference: /m);

    const balances = await api('GET', '/v1/balances');
    expect(balances.status).toBe(200);
    expect(balances.body.data).toEqual([{ currency: 'INR', available: 5_025_050, held: 0 }]);
  });
});

describe('dead letters and replay', () => {
  test('a payout past its provider deadline is listed, a dry run changes nothing, and a replay settles it', async () => {
    // 0003: the sandbox keeps it processing until told otherwise.
    const res = await tenant.api(
      'POST',
      '/v1/payouts',
      inrPayout({ beneficiary: { name: 'Stuck', account_number: '999900030003', bank_code: 'HDFC0001234' } }),
      { 'idempotency-key': 'cli-stuck-1' },
    );
    expect(res.status).toBe(202);
    const stuck = await settle(res.body.id, 'needs_attention');

    const table = await cli(['dead-letters', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^PAYOUT\s+PROVIDER\s+STATUS\s+REASON\s+ATTEMPTS\s+AGE$/);
    const row = lines.find((l) => l.startsWith(stuck.id));
    expect(row).toMatch(/razorpayx\s+needs_attention\s+needs_attention: polling passed .*\s1\s+\d\S*$/);

    const asJson = await cli([
      'dead-letters',
      'list',
      '--state',
      'needs_attention',
      '--provider',
      'razorpayx',
      '--json',
    ]);
    expect(asJson.code).toBe(0);
    const listed = JSON.parse(asJson.stdout) as { data: { payout_id: string }[]; count: number };
    expect(listed.count).toBe(listed.data.length);
    expect(listed.data.find((d) => d.payout_id === stuck.id)).toMatchObject({
      status: 'needs_attention',
      provider: 'razorpayx',
      submission_attempts: 1,
    });

    // Durations go to the API in seconds.
    const filtered = await cli(['dead-letters', 'list', '--older-than', '5m', '--limit', '3', '--reason', 'x']);
    expect(filtered.code).toBe(0);
    expect(filtered.stdout).toBe('No dead letters match.\n');
    const query = new URL(must(filtered.requests[0], 'the dead-letters request')).searchParams;
    expect(Object.fromEntries(query)).toEqual({ older_than: '300', limit: '3', reason: 'x' });

    const dry = await cli(['replay', '--all', '--state', 'needs_attention', '--older-than', '0s', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run:\s+yes/);
    expect(dry.stdout).toMatch(/replayed:\s+0/);
    expect(dry.stdout).toMatch(new RegExp(`^${stuck.id}\\s+needs_attention\\s+razorpayx$`, 'm'));
    expect(dry.stdout).toContain('nothing was changed');
    const dryJson = await cli(['replay', '--all', '--state', 'needs_attention', '--dry-run', '--json']);
    expect(JSON.parse(dryJson.stdout)).toMatchObject({ dry_run: true, replayed: 0 });
    // --all without a filter: every replayable payout, which the API wants said as `all: true`.
    const everything = await cli(['replay', '--all', '--dry-run', '--json']);
    expect(everything.code).toBe(0);
    expect(JSON.parse(everything.stdout)).toMatchObject({ dry_run: true, replayed: 0 });
    const dryOne = await cli(['replay', stuck.id, '--dry-run']);
    expect(dryOne.code).toBe(0);
    expect(dryOne.stdout).toContain(`${stuck.id} (needs_attention) would be replayed. Dry run: nothing was changed.`);
    expect(dryOne.requests.map((r) => `${new URL(r).pathname}${new URL(r).search}`)).toEqual([
      `/v1/admin/payouts/${stuck.id}/replay?dry_run=true`,
    ]);
    expect((await payoutStatus(stuck.id)).status).toBe('needs_attention'); // a dry run changes nothing

    // The bank settles it; the operator replays it: one look, and it is processed.
    await fetch(`${system.sandbox.url}/_admin/razorpayx/payouts/${stuck.provider_payout_id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'processed' }),
    });
    const replay = await cli(['replay', stuck.id]);
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toContain(`Replayed ${stuck.id}`);
    await settle(stuck.id, 'processed');

    const actions = await cli(['actions', 'list', '--target', stuck.id]);
    expect(actions.code).toBe(0);
    expect(actions.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET\s+RESULT$/m);
    expect(actions.stdout).toMatch(new RegExp(`key_\\S+\\s+payout\\.replay\\s+${stuck.id}`));
    const actionsJson = JSON.parse((await cli(['actions', 'list', '--target', stuck.id, '--json'])).stdout);
    expect(actionsJson.data).toEqual([expect.objectContaining({ action: 'payout.replay', target: stuck.id })]);

    // Final now: a replay is refused.
    const again = await cli(['replay', stuck.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('payout_not_replayable');
  });
});

describe('payouts, balances and tenants: reading without curl', () => {
  const asTenant = (key = tenant.key) => ({ PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: key });

  test('payouts get shows a payout and its history; payouts list filters and pages as the API does', async () => {
    const reader = await createFundedTenant(system, 'cli-reader', 1_000_000);
    const ids: string[] = [];
    for (const i of [1, 2, 3]) {
      const res = await reader.api('POST', '/v1/payouts', inrPayout({ reference_id: `cli-read-${i}` }), {
        'idempotency-key': `cli-read-${i}`,
      });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) await settle(id, 'processed', reader.api);

    const got = await cli(['payouts', 'get', ids[0] as string], { env: asTenant(reader.key) });
    expect(got).toMatchObject({ code: 0, stderr: '' });
    expect(got.stdout).toMatch(new RegExp(`^payout:\\s+${ids[0]}$`, 'm'));
    expect(got.stdout).toMatch(/^status:\s+processed$/m);
    expect(got.stdout).toMatch(/^reference:\s+cli-read-1$/m);
    expect(got.stdout).toMatch(/^AT\s+CHANGE\s+SOURCE\s+APPLIED$/m);
    expect(got.stdout).toMatch(/\(new\) → accepted/);
    expect(got.stdout).toMatch(/→ processed\s+\S+\s+yes$/m);
    const gotJson = JSON.parse(
      (await cli(['payouts', 'get', ids[0] as string, '--json'], { env: asTenant(reader.key) })).stdout,
    );
    expect(gotJson).toMatchObject({ id: ids[0], status: 'processed', reference_id: 'cli-read-1' });
    expect(gotJson.events.map((e: { to_status: string }) => e.to_status)).toEqual(
      expect.arrayContaining(['accepted', 'processed']),
    );

    const one = await cli(['payouts', 'list', '--reference', 'cli-read-2', '--status', 'processed'], {
      env: asTenant(reader.key),
    });
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')[0]).toMatch(/^PAYOUT\s+STATUS\s+AMOUNT\s+PROVIDER\s+REFERENCE\s+UPDATED$/);
    expect(one.stdout).toMatch(
      new RegExp(`^${ids[1]}\\s+processed\\s+INR 500\\.00\\s+razorpayx\\s+cli-read-2\\s`, 'm'),
    );
    expect(Object.fromEntries(new URL(one.requests[0] as string).searchParams)).toEqual({
      reference_id: 'cli-read-2',
      status: 'processed',
    });

    // One page of two says how to get the next; --all walks every page.
    const paged = await cli(['payouts', 'list', '--limit', '2'], { env: asTenant(reader.key) });
    expect(paged.stdout).toMatch(/^More: --cursor \S+$/m);
    const cursor = /--cursor (\S+)/.exec(paged.stdout)?.[1] as string;
    const next = JSON.parse(
      (await cli(['payouts', 'list', '--limit', '2', '--cursor', cursor, '--json'], { env: asTenant(reader.key) }))
        .stdout,
    );
    expect(next.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);
    const all = await cli(['payouts', 'list', '--all', '--json'], { env: asTenant(reader.key) });
    expect(all.code).toBe(0);
    const lines = all.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((p) => p.id)).toEqual([...ids].reverse());
    expect((await cli(['payouts', 'list', '--all'], { env: asTenant(reader.key) })).stdout).toMatch(/^3 payouts\.$/m);

    // The API's other filters, as they go on the wire; the export streams the same selection.
    const filtered = await cli(
      [
        'payouts',
        'list',
        '--status',
        'processed,failed',
        '--currency',
        'INR',
        '--amount-min',
        '50000',
        '--amount-max',
        '50000',
        '--created-from',
        '2020-01-01T00:00:00Z',
        '--json',
      ],
      { env: asTenant(reader.key) },
    );
    expect(filtered.code).toBe(0);
    expect(JSON.parse(filtered.stdout).data.map((p: { id: string }) => p.id)).toEqual([...ids].reverse());
    expect(Object.fromEntries(new URL(must(filtered.requests[0], 'the list request')).searchParams)).toEqual({
      status: 'processed,failed',
      currency: 'INR',
      amount_min: '50000',
      amount_max: '50000',
      created_from: '2020-01-01T00:00:00Z',
    });
    const exported = await cli(['payouts', 'export', '--reference', 'cli-read-2', '--output', '-'], {
      env: asTenant(reader.key),
    });
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    const csv = exported.stdout.trimEnd().split('\n');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain(ids[1]);
    const refused = await cli(['payouts', 'export', '--created-from', 'yesterday'], { env: asTenant(reader.key) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('created_from');
  });

  test('balances read a wallet with the tenant key, and any wallet with the operator key: the same numbers', async () => {
    const funded = await createFundedTenant(system, 'cli-balances', { INR: 250_000, USD: 1_000 });
    const own = await cli(['balances', '--json'], { env: asTenant(funded.key) });
    expect(own.code).toBe(0);
    const byOperator = await cli(['balances', '--tenant', funded.id, '--json']);
    expect(byOperator.code).toBe(0);
    expect(JSON.parse(byOperator.stdout)).toEqual(JSON.parse(own.stdout));
    expect(JSON.parse(own.stdout).data).toEqual(
      expect.arrayContaining([
        { currency: 'INR', available: 250_000, held: 0 },
        { currency: 'USD', available: 1_000, held: 0 },
      ]),
    );
    const readable = await cli(['balances'], { env: asTenant(funded.key) });
    expect(readable.stdout).toMatch(/^INR\s+INR 2500\.00\s+INR 0\.00$/m);
    const empty = await createFundedTenant(system, 'cli-balances-empty', 0);
    expect((await cli(['balances'], { env: asTenant(empty.key) })).stdout).toBe(
      'No balances yet: the wallet was never funded.\n',
    );
  });

  test('tenants list shows every tenant, the newest first', async () => {
    const listed = await cli(['tenants', 'list', '--json']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const ids = (JSON.parse(listed.stdout).data as { id: string }[]).map((t) => t.id);
    expect(ids).toContain(tenant.id);
    expect(new Set(ids).size).toBe(ids.length);
    const table = await cli(['tenants', 'list']);
    expect(table.stdout).toMatch(/^TENANT\s+NAME\s+CREATED$/m);
    expect(table.stdout).toMatch(new RegExp(`^${tenant.id}\\s+cli\\s`, 'm'));
  });

  test('bad arguments are usage errors that send nothing', async () => {
    for (const [args, message] of [
      [['payouts', 'list', '--limit', '101'], /expected at most 100/],
      [['payouts', 'list', '--all', '--limit', '5'], /--all reads every page/],
      [['payouts', 'list', '--status', 'processed,paid'], /not a payout state: paid/],
      [['payouts', 'export', '--currency', 'EUR'], /Allowed choices are/],
      [['payouts', 'get', 'nope'], /expected a payout id/],
      [['balances', '--tenant', 'acme'], /expected a tenant id/],
    ] as [string[], RegExp][]) {
      const res = await cli(args, { env: asTenant() });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.requests).toEqual([]);
    }
  });
});

describe('cancel', () => {
  test('cancels a payout waiting for funds; refuses one already processed', async () => {
    const poor = await createFundedTenant(system, 'cli-poor', 0);
    const waiting = await poor.api('POST', '/v1/payouts', inrPayout({ queue_if_low_balance: true }), {
      'idempotency-key': 'cli-wait-1',
    });
    await settle(waiting.body.id, 'queued', poor.api);
    const cancelled = await cli(['cancel', waiting.body.id]);
    expect(cancelled).toMatchObject({ code: 0, stderr: '' });
    expect(cancelled.stdout).toMatch(/status:\s+cancelled/);
    expect((await payoutStatus(waiting.body.id, poor.api)).status).toBe('cancelled');

    const done = await tenant.api('POST', '/v1/payouts', inrPayout(), { 'idempotency-key': 'cli-done-1' });
    await settle(done.body.id, 'processed');
    const refused = await cli(['cancel', done.body.id, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('can no longer be cancelled');
    expect(refused.stderr).toContain('409 payout_not_cancellable');
  });
});

describe('approvals', () => {
  test('approvals list shows what waits; approve releases a payout, reject cancels a batch; the maker is refused', async () => {
    const op = client(system.api.url, system.operatorKey);
    const t = await createFundedTenant(system, 'cli-approvals', 10_000_000);
    const policy = await t.api('PUT', '/v1/approval-policy', {
      rules: [
        { kind: 'payout', min_amount: { INR: 1_000 }, approvals_required: 1 },
        { kind: 'batch', min_amount: { INR: 1_000 }, approvals_required: 1 },
      ],
      expires_after_hours: 24,
    });
    expect(policy.status).toBe(200);
    const issue = async (role: string, label: string) =>
      (await op('POST', `/v1/admin/tenants/${t.id}/api-keys`, { role, label })).body.key as string;
    const makerKey = await issue('maker', 'Asha (payroll)');
    const approverKey = await issue('approver', 'Ravi (finance)');
    const maker = client(system.api.url, makerKey);
    const payout = await maker('POST', '/v1/payouts', inrPayout({ amount: 5_000 }), { 'idempotency-key': 'cli-a1' });
    expect(payout.body.status).toBe('pending_approval');
    const batch = await maker(
      'POST',
      '/v1/payout-batches',
      { items: [inrPayout({ amount: 5_000, reference_id: 'cli-appr-b1' })] },
      { 'idempotency-key': 'cli-a2' },
    );
    expect(batch.body.status).toBe('pending_approval');
    const as = (key: string) => ({ env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: key } });

    const list = await cli(['approvals', 'list'], as(approverKey));
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(payout.body.id);
    expect(list.stdout).toContain(batch.body.id);
    expect(list.stdout).toContain('Asha (payroll)');

    const refused = await cli(['approvals', 'approve', payout.body.id], as(makerKey));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('role_forbidden');

    const approved = await cli(['approvals', 'approve', payout.body.id, '--json'], as(approverKey));
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout).approval.status).toBe('approved');
    await settle(payout.body.id, 'processed', t.api);

    const noReason = await cli(['approvals', 'reject', batch.body.id], as(approverKey));
    expect(noReason.code).toBe(2);
    const rejected = await cli(['approvals', 'reject', batch.body.id, '--reason', 'wrong month'], as(approverKey));
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/approval:\s+rejected/);
    expect((await cli(['approvals', 'list'], as(approverKey))).stdout).toContain('Nothing waits for approval.');
  });
});

describe('provider and ledger', () => {
  test('provider funded answers for a known provider', async () => {
    const funded = await cli(['provider', 'funded', 'thai-gateway']);
    expect(funded.code).toBe(0);
    expect(funded.stdout).toMatch(/provider:\s+thai-gateway/);
    const asJson = await cli(['provider', 'funded', 'thai-gateway', '--json']);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ provider: 'thai-gateway', released: 0 });
  });

  test('provider health lists every provider with its circuit, gate, queue and rate', async () => {
    const health = await cli(['provider', 'health']);
    expect(health).toMatchObject({ code: 0, stderr: '' });
    const lines = health.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PROVIDER\s+CIRCUIT\s+HELD BY\s+PARKED.*\sRATE\/S\s+BUDGET\s+FLOAT \(LEDGER\)$/);
    for (const id of ['razorpayx', 'krayon', 'thai-gateway', 'druo']) {
      expect(lines.find((l) => l.startsWith(id))).toMatch(/\sclosed\s.*\s1000(\s|$)/);
    }
    // The payouts this file sent drew on RazorpayX's budget: its line shows the bucket.
    expect(lines.find((l) => l.startsWith('razorpayx'))).toMatch(/\s\d+\/\d+ tokens/);
    const asJson = JSON.parse((await cli(['provider', 'health', '--json'])).stdout);
    expect(asJson.data.map((h: { provider: string }) => h.provider)).toEqual([
      'razorpayx',
      'krayon',
      'thai-gateway',
      'druo',
    ]);
    // A tenant key is refused by the API, and the CLI says so.
    const refused = await cli(['provider', 'health'], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: tenant.key },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('403 forbidden');
  });

  test('ledger verify says ok after everything above', async () => {
    const verified = await cli(['ledger', 'verify']);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toContain('Ledger ok');
    expect(JSON.parse((await cli(['ledger', 'verify', '--json'])).stdout)).toMatchObject({ ok: true, problems: [] });
  });

  test('audit verify says ok after everything above', async () => {
    const verified = await cli(['audit', 'verify']);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toContain('Audit chains ok');
    expect(verified.stdout).toMatch(/operator log: [1-9]\d* rows in 1 chain, 0 broken/);
    expect(JSON.parse((await cli(['audit', 'verify', '--json'])).stdout)).toMatchObject({
      ok: true,
      payout_events: { broken_chains: 0, broken: [] },
      operator_actions: { broken_chains: 0, broken: [] },
    });
  });

  test('a broken audit chain is a finding: exit 1 naming the row, expected and found', async () => {
    const clean = { rows: 3, chains: 1, legacy_rows: 0, broken_chains: 0, broken: [] };
    const link = { chain: 'po_x', row: '42', reason: 'hash_mismatch', expected: 'aaaa', found: 'bbbb' };
    const broken = await cli(['audit', 'verify'], {
      fetch: async () =>
        Response.json(
          { ok: false, payout_events: { ...clean, broken_chains: 1, broken: [link] }, operator_actions: clean },
          { status: 500 },
        ),
    });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/po_x\s+42\s+hash_mismatch\s+aaaa\s+bbbb/);
  });

  test('a ledger that does not verify is a finding: exit 1 with its problems', async () => {
    const broken = await cli(['ledger', 'verify'], {
      fetch: async () =>
        Response.json({ ok: false, problems: ['wallet w is negative: -5'], totals: [] }, { status: 500 }),
    });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('wallet w is negative: -5');
  });
});

describe('exit codes', () => {
  test('usage errors exit 2 and send nothing', async () => {
    const tenantId = 'ten_01JD3ABCDEFGHJKMNPQRSTVWXY';
    const cases: [string[], RegExp][] = [
      [['nope'], /unknown command 'nope'/],
      [['dead-letters', 'list', '--bogus'], /unknown option '--bogus'/],
      [['dead-letters', 'list', '--limit', 'ten'], /positive integer/],
      [['dead-letters', 'list', '--older-than', '5 minutes'], /duration/],
      [['dead-letters', 'list', '--state', 'stuck'], /Allowed choices/],
      [['fund', tenantId, 'INR', '12.5', '--reference', 'r-1'], /integer in minor units/],
      [['fund', tenantId, 'INR', '1.234', '--major', '--reference', 'r-1'], /more than 2 decimals/],
      [['fund', tenantId, 'INR', '1000000000000001', '--reference', 'r-1'], /at most 1000000000000000 minor units/],
      [['fund', tenantId, 'INR', '10000000000000.01', '--major', '--reference', 'r-1'], /at most 1000000000000000/],
      [['fund', tenantId, 'XYZ', '100', '--reference', 'r-1'], /INR, THB, USD, COP/],
      [['fund', tenantId, 'INR', '100'], /--reference/],
      [['fund', 'acme', 'INR', '100', '--reference', 'r-1'], /tenant id/],
      [['replay'], /missing payout id/],
      [['replay', 'po_01JD3ABCDEFGHJKMNPQRSTVWXY', '--all'], /not both/],
      [['replay', 'po_01JD3ABCDEFGHJKMNPQRSTVWXY', '--limit', '5'], /go with --all/],
      [['cancel'], /missing required argument/],
      [['provider', 'funded', 'nowhere'], /Allowed choices/],
      [['ledger', 'verify', '--api-url', 'ftp://x'], /--api-url/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.requests).toEqual([]);
    }

    const noKey = await cli(['ledger', 'verify'], { env: { PAYOUTS_API_URL: system.api.url } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('PAYOUTS_OPERATOR_KEY');
    const badEnv = await cli(['ledger', 'verify'], {
      env: { PAYOUTS_API_URL: 'not a url', PAYOUTS_OPERATOR_KEY: 'k' },
    });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('PAYOUTS_API_URL');
  });

  test('--help works for every command and exits 0', async () => {
    for (const args of [
      ['--help'],
      ['dead-letters', 'list', '--help'],
      ['replay', '--help'],
      ['cancel', '--help'],
      ['fund', '--help'],
      ['provider', 'funded', '--help'],
      ['tenants', 'create', '--help'],
      ['keys', 'issue', '--help'],
      ['ledger', 'verify', '--help'],
      ['actions', 'list', '--help'],
    ]) {
      const result = await cli(args, { env: {} });
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expect(result.stdout).toMatch(/^Usage: payouts/);
    }
  });

  test('flags override the environment', async () => {
    const result = await cli(['ledger', 'verify', '--api-url', system.api.url, '--key', system.operatorKey], {
      env: {},
    });
    expect(result.code).toBe(0);
  });

  test('an API that cannot be reached, or fails, exits 3', async () => {
    const bad = await cli(['ledger', 'verify'], {
      env: { PAYOUTS_API_URL: 'http://127.0.0.1:9', PAYOUTS_OPERATOR_KEY: system.operatorKey },
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('could not reach the API at http://127.0.0.1:9');

    const port = await freePort();
    const refused = await cli(['dead-letters', 'list'], {
      env: { PAYOUTS_API_URL: `http://127.0.0.1:${port}`, PAYOUTS_OPERATOR_KEY: system.operatorKey },
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('ECONNREFUSED');

    const failing = await cli(['provider', 'funded', 'razorpayx'], {
      fetch: async () =>
        new Response(
          JSON.stringify({ status: 500, code: 'internal_error', detail: 'Something went wrong on our side.' }),
          { status: 500, headers: { 'content-type': 'application/problem+json' } },
        ),
    });
    expect(failing.code).toBe(3);
    expect(failing.stderr).toContain('Something went wrong on our side.');
  });

  test('a wrong key, or a tenant key, is refused: exit 1', async () => {
    const wrong = await cli(['dead-letters', 'list'], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: 'sk_test_not_a_real_key_000000' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('401 unauthorized');
    const tenantKey = await cli(['dead-letters', 'list'], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: tenant.key },
    });
    expect(tenantKey.code).toBe(1);
    expect(tenantKey.stderr).toContain('403 forbidden');
  });
});

describe('the binary', () => {
  test('node --import tsx apps/cli/src/main.ts --help exits 0', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const env = { ...process.env };
    delete env.PAYOUTS_API_URL;
    delete env.PAYOUTS_OPERATOR_KEY;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', '--help'],
      {
        cwd: root,
        env,
      },
    );
    // execFile rejects on a non-zero exit, so reaching here means exit 0.
    expect(stdout).toContain('Usage: payouts');
    expect(stdout).toContain('dead-letters');
  });

  test('the payouts bin (pnpm exec payouts) prints only what the CLI says, and its exit code', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAYOUTS_API_URL: system.api.url,
      PAYOUTS_OPERATOR_KEY: system.operatorKey,
    };
    delete env.PAYOUTS_API_KEY;
    const bin = `${root}node_modules/.bin/payouts`;
    const listed = await promisify(execFile)(bin, ['tenants', 'list', '--json'], { cwd: root, env });
    expect(JSON.parse(listed.stdout).data.map((t: { id: string }) => t.id)).toContain(tenant.id);
    // A usage error: exit 2, the CLI's own message on stderr and nothing from a package manager.
    const failed = await promisify(execFile)(bin, ['payouts', 'list'], { cwd: root, env }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed.code).toBe(2);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe(
      'error: no tenant API key: set PAYOUTS_API_KEY or pass --key <key>\n(add --help for usage)\n',
    );
  });
});
