import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { must, waitFor } from '@payouts/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../apps/cli/src/cli.ts';
import { createFundedTenant, startTestSystem, type TestSystem } from '../support/system.ts';

/**
 * `payouts batch …`: a tenant's CSV runs, driven in-process against a whole running system (api,
 * reconciler, worker, sandbox over real Postgres and Redis) with a tenant key, as a tenant would.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The documented example: the tests submit this very file. */
const SALARY_RUN = join(ROOT, 'docs/examples/salary-run.csv');
const ROWS = 12;

let system: TestSystem;
let tenant: Awaited<ReturnType<typeof createFundedTenant>>;
let dir: string;

beforeAll(async () => {
  system = await startTestSystem();
  tenant = await createFundedTenant(system, 'cli-batch', { INR: 100_000_000, THB: 100_000_000, USD: 100_000_000 });
  // The example salary run is submitted again here as new runs (variants of the file, new keys),
  // reusing its references: the duplicate guard would refuse those rows, so this tenant turns it
  // off (the guard is tested in tests/api/duplicate-reference.test.ts).
  const off = await tenant.api('PATCH', '/v1/settings', { duplicate_reference_guard: false });
  if (off.status !== 200) throw new Error(`settings: ${off.status} ${JSON.stringify(off.body)}`);
  dir = await mkdtemp(join(tmpdir(), 'payouts-cli-batch-'));
});
afterAll(async () => {
  await system?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Call {
  method: string;
  url: URL;
  init: (RequestInit & { duplex?: string }) | undefined;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  calls: Call[];
}

interface CliOptions {
  env?: Record<string, string | undefined>;
  terminal?: NodeJS.WritableStream;
  onInterrupt?: (handler: () => void) => () => void;
}

/** Starts the CLI; `out` and `err` fill while it runs. */
function start(args: string[], options: CliOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: Call[] = [];
  const done = run(args, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: options.env ?? { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: tenant.key },
    fetch: ((input, init) => {
      calls.push({ method: init?.method ?? 'GET', url: new URL(String(input)), init });
      return fetch(input, init);
    }) as typeof fetch,
    ...(options.terminal ? { terminal: options.terminal } : {}),
    ...(options.onInterrupt ? { onInterrupt: options.onInterrupt } : {}),
  }).then((code): Result => ({ code, stdout: out.join(''), stderr: err.join(''), calls }));
  return { done, out, err };
}

const cli = (args: string[], options: CliOptions = {}) => start(args, options).done;

const batchIdOf = (stdout: string) =>
  must(/^batch:\s+(bat_[0-9A-Z]{26})$/m.exec(stdout)?.[1], `a "batch:" line in the output:\n${stdout}`);
const progressLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('progress '));

/** The example with some cells replaced: [row (1-based), column, value]. */
async function variant(name: string, changes: [number, string, string][]): Promise<string> {
  const [header, ...rows] = (await readFile(SALARY_RUN, 'utf8')).trimEnd().split('\n');
  const columns = must(header, `the header of ${SALARY_RUN}`).split(',');
  for (const [row, column, value] of changes) {
    // The rows changed here hold no quoted cells, so a plain split is exact.
    const cells = must(rows[row - 1], `row ${row} of ${SALARY_RUN}`).split(',');
    cells[columns.indexOf(column)] = value;
    rows[row - 1] = cells.join(',');
  }
  const file = join(dir, name);
  await writeFile(file, `${header}\n${rows.join('\n')}\n`);
  return file;
}

let firstBatchId: string;

describe('batch submit', () => {
  test('submits docs/examples/salary-run.csv streamed, follows it line by line, and exits 0 with every row processed', async () => {
    const result = await cli(['batch', 'submit', SALARY_RUN]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { stdout } = result;
    firstBatchId = batchIdOf(stdout);
    expect(firstBatchId).toBeDefined();
    expect(stdout).toMatch(/^rows:\s+12 total, 12 accepted, 0 rejected$/m);
    expect(stdout).toMatch(/^replayed:\s+no$/m);
    expect(stdout).toMatch(/^idempotency key:\s+batch-[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^INR\s+razorpayx\s+4\s+INR 176049\.50$/m);
    expect(stdout).toMatch(/^INR\s+krayon\s+3\s+INR 105500\.00$/m);
    expect(stdout).toMatch(/^THB\s+thai-gateway\s+3\s+THB 104500\.00$/m);
    expect(stdout).toMatch(/^USD\s+druo\s+2\s+USD 4375\.00$/m);

    // Not a terminal: one plain progress line per change, ending with every row final.
    const lines = progressLines(stdout);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^progress \d+\/12 \(\d+\.\d%\)( [a-z_]+=\d+)+$/);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.at(-1)).toBe('progress 12/12 (100.0%) processed=12');

    expect(stdout).toMatch(new RegExp(`^Batch ${firstBatchId} completed in \\d+\\.\\ds\\.$`, 'm'));
    expect(stdout).toMatch(/^STATE\s+PAYOUTS\nprocessed\s+12$/m);
    expect(stdout).toMatch(/^INR\s+processed\s+INR 281549\.50$/m);
    expect(stdout).toMatch(/^THB\s+processed\s+THB 104500\.00$/m);
    expect(stdout).toMatch(/^USD\s+processed\s+USD 4375\.00$/m);

    // The upload: the file streamed (not a string or buffer) as text/csv, with the options in the query.
    const [first, ...polls] = result.calls;
    const upload = must(first, 'the upload call');
    expect(upload.method).toBe('POST');
    expect(upload.url.pathname).toBe('/v1/payout-batches');
    expect(Object.fromEntries(upload.url.searchParams)).toEqual({
      mode: 'all_or_nothing',
      on_insufficient_funds: 'refuse',
    });
    const init = must(upload.init, 'the upload request init');
    const headers = init.headers as Record<string, string>;
    expect(headers['content-type']).toBe('text/csv');
    expect(headers['idempotency-key']).toMatch(/^batch-[0-9a-f]{64}$/);
    expect(init.duplex).toBe('half');
    expect(typeof (init.body as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe('function');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    for (const poll of polls)
      expect(`${poll.method} ${poll.url.pathname}`).toBe(`GET /v1/payout-batches/${firstBatchId}`);

    const status = await tenant.api('GET', `/v1/payout-batches/${firstBatchId}`);
    expect(status.body).toMatchObject({ status: 'completed', counts: { processed: ROWS } });
  });

  test('the same command again is recognised by the API: the same batch, replayed, nothing stored twice', async () => {
    const again = await cli(['batch', 'submit', SALARY_RUN]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(batchIdOf(again.stdout)).toBe(firstBatchId);
    expect(again.stdout).toMatch(/^replayed:\s+yes: this file was submitted before/m);
    expect(progressLines(again.stdout)).toEqual(['progress 12/12 (100.0%) processed=12']);
    const payouts = await tenant.api('GET', '/v1/payouts?limit=100');
    expect(payouts.body.data).toHaveLength(ROWS);

    // --json: one object on stdout (progress goes to stderr).
    const asJson = await cli(['batch', 'submit', SALARY_RUN, '--json']);
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      idempotency_key: expect.stringMatching(/^batch-[0-9a-f]{64}$/),
      replayed: true,
      submitted: { id: firstBatchId, rows: { total: ROWS, accepted: ROWS, rejected: 0 }, errors: [] },
      status: { id: firstBatchId, status: 'completed', counts: { processed: ROWS } },
    });
    expect(asJson.stderr).toContain('progress 12/12 (100.0%) processed=12');
  });

  test('a file with bad rows is refused with every row and column (exit 1); --mode accept_valid sends the rest', async () => {
    const bad = await variant('bad-rows.csv', [
      [3, 'beneficiary_bank_code', 'UTIB-123'],
      [10, 'amount', '27500.50'],
    ]);
    const refused = await cli(['batch', 'submit', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('2 of 12 rows are invalid; nothing was stored');
    expect(refused.stderr).toContain('(422 batch_invalid)');
    expect(refused.stderr).toMatch(/^ {2}row 3, beneficiary_bank_code: must be an IFSC/m);
    expect(refused.stderr).toMatch(/^ {2}row 10, amount: /m);
    expect(refused.stderr).toContain('--mode accept_valid');
    expect(refused.calls).toHaveLength(1);

    const accepted = await cli(['batch', 'submit', bad, '--mode', 'accept_valid']);
    expect(accepted).toMatchObject({ code: 0, stderr: '' });
    expect(new URL(must(accepted.calls[0], 'the upload call').url).searchParams.get('mode')).toBe('accept_valid');
    expect(accepted.stdout).toMatch(/^rows:\s+12 total, 10 accepted, 2 rejected$/m);
    expect(accepted.stdout).toMatch(
      /^Rejected rows \(2\):\nROW\s+COLUMN\s+MESSAGE\n\s*3\s+beneficiary_bank_code\s+must be/m,
    );
    expect(accepted.stdout).toMatch(/^\s*10\s+amount\s+\S/m);
    expect(progressLines(accepted.stdout).at(-1)).toBe('progress 10/10 (100.0%) processed=10');
    const batchId = batchIdOf(accepted.stdout);
    expect(batchId).not.toBe(firstBatchId);

    // The report has every uploaded row, the refused ones included.
    const output = join(dir, 'accept-valid-results.csv');
    const report = await cli(['batch', 'report', batchId, '--output', output]);
    expect(report).toMatchObject({ code: 0, stderr: '' });
    expect(report.stdout).toMatch(/^rows:\s+12 \(plus the header line\)$/m);
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    // A refused row still says which of the run's payouts it was.
    expect(lines[3]).toMatch(/^3,mar-2025-e103,,invalid,.*beneficiary_bank_code/);
    expect(lines[10]).toMatch(/^10,mar-2025-e110,,invalid,.*amount/);
    expect(lines[1]).toMatch(/^1,mar-2025-e101,po_[0-9A-Z]{26},processed,4520000,INR,razorpayx,/);
  });

  test('--no-wait returns at once; batch status and batch report read the run', async () => {
    const key = `cli-no-wait-${Date.now()}`;
    const submitted = await cli(['batch', 'submit', SALARY_RUN, '--no-wait', '--idempotency-key', key]);
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    expect(submitted.calls.map((c) => c.method)).toEqual(['POST']); // no polling
    expect(progressLines(submitted.stdout)).toEqual([]);
    expect(submitted.stdout).toMatch(/^idempotency key:\s+cli-no-wait-\d+$/m);
    const batchId = batchIdOf(submitted.stdout);
    expect(submitted.stdout).toContain(`Not waiting. Follow it with: pnpm cli batch status ${batchId}`);

    const done = await waitFor(
      async () => {
        const status = await cli(['batch', 'status', batchId, '--json']);
        const body = JSON.parse(status.stdout);
        return body.status === 'completed' ? body : undefined;
      },
      { message: `batch ${batchId} to complete` },
    );
    expect(done).toMatchObject({
      id: batchId,
      counts: { processed: ROWS },
      progress: { final: ROWS, total: ROWS, percent: 100 },
      amounts: { INR: { processed: 28_154_950 }, THB: { processed: 10_450_000 }, USD: { processed: 437_500 } },
    });

    const status = await cli(['batch', 'status', batchId]);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(new RegExp(`^batch:\\s+${batchId}$`, 'm'));
    expect(status.stdout).toMatch(/^status:\s+completed$/m);
    expect(status.stdout).toMatch(/^rows:\s+12 total, 12 accepted, 0 rejected$/m);
    expect(status.stdout).toMatch(/^progress:\s+12\/12 final \(100\.0%\)$/m);
    expect(status.stdout).toMatch(/^completed at:\s+\d{4}-\d\d-\d\dT/m);
    expect(status.stdout).toMatch(/^elapsed:\s+\d+\.\ds$/m);
    expect(status.stdout).toMatch(/^processed\s+12$/m);
    expect(status.stdout).toMatch(/^USD\s+processed\s+USD 4375\.00$/m);

    const output = join(dir, 'no-wait-results.csv');
    const report = await cli(['batch', 'report', batchId, '--output', output]);
    expect(report).toMatchObject({ code: 0, stderr: '' });
    expect(report.stdout).toBe(`file: ${output}\nrows: 12 (plus the header line)\n`);
    const lines = (await readFile(output, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(
      'row,reference_id,payout_id,status,amount,currency,provider,fees,tax,failure_code,failure_message,utr',
    );
    expect(lines).toHaveLength(ROWS + 1);
    lines.slice(1).forEach((line, i) => {
      expect(line).toMatch(new RegExp(`^${i + 1},mar-2025-e${101 + i},po_[0-9A-Z]{26},processed,\\d+,(INR|THB|USD),`));
    });

    // `--output -`: the same file on standard output, and nothing else there, for a pipe.
    const piped = await cli(['batch', 'report', batchId, '--output', '-']);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(piped.stdout).toBe(await readFile(output, 'utf8'));
  });

  test('Ctrl-C while waiting stops waiting (exit 130); the run goes on and says how to check it', async () => {
    // An unfunded wallet and on_insufficient_funds=queue: the run is stored and waits for a funding.
    const poor = await createFundedTenant(system, 'cli-batch-poor', 0);
    let interrupt: (() => void) | undefined;
    let unregistered = false;
    const running = start(['batch', 'submit', SALARY_RUN, '--on-insufficient-funds', 'queue'], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: poor.key },
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => {
          unregistered = true;
        };
      },
    });
    const stop = await waitFor(() => running.out.join('').includes('queued=12') && interrupt, {
      message: 'the run to wait for funds',
    });
    stop();
    const result = await running.done;
    expect(result.code).toBe(130);
    expect(unregistered).toBe(true);
    const batchId = batchIdOf(result.stdout);
    expect(result.stdout).toMatch(/^progress 0\/12 \(0\.0%\) queued=12$/m);
    expect(result.stdout).not.toContain('completed in');
    expect(result.stderr).toContain('Stopped waiting; the run continues on the server.');
    expect(result.stderr).toContain(`pnpm cli batch status ${batchId}`);

    const status = await cli(['batch', 'status', batchId], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: poor.key },
    });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^status:\s+processing$/m);
    expect(status.stdout).toMatch(/^queued\s+12$/m);
  });

  test('on a terminal, a live progress bar instead of lines', async () => {
    // A tenant of its own: a new run to draw (the first tenant's wallet has paid several already).
    const own = await createFundedTenant(system, 'cli-batch-tty', {
      INR: 100_000_000,
      THB: 100_000_000,
      USD: 100_000_000,
    });
    const drawn: string[] = [];
    const terminal = Object.assign(
      new Writable({
        write(chunk, _encoding, done) {
          drawn.push(String(chunk));
          done();
        },
      }),
      { isTTY: true, columns: 120 },
    );
    const result = await cli(['batch', 'submit', SALARY_RUN], {
      terminal,
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: own.key },
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(progressLines(result.stdout)).toEqual([]);
    expect(result.stdout).toMatch(/^replayed:\s+no$/m);
    expect(result.stdout).toContain(`Batch ${batchIdOf(result.stdout)} completed in`);
    expect(drawn.join('')).toMatch(/progress \|█+\| 100% 12\/12 processed=12/);
  });
});

describe('batch: keys, arguments and exit codes', () => {
  test('bad arguments exit 2 and send nothing', async () => {
    await mkdir(join(dir, 'a-directory'), { recursive: true });
    const cases: [string[], RegExp][] = [
      [['batch', 'submit', join(dir, 'missing.csv')], /cannot read .*missing\.csv: no such file or directory/],
      [['batch', 'submit', join(dir, 'a-directory')], /is not a file/],
      [['batch', 'submit'], /missing required argument 'file'/],
      [['batch', 'submit', SALARY_RUN, '--mode', 'some'], /Allowed choices are all_or_nothing, accept_valid/],
      [['batch', 'submit', SALARY_RUN, '--on-insufficient-funds', 'wait'], /Allowed choices are refuse, queue/],
      [['batch', 'submit', SALARY_RUN, '--idempotency-key', 'has spaces'], /--idempotency-key must be/],
      [['batch', 'status', 'bat_123'], /expected a batch id such as bat_/],
      [['batch', 'status', 'po_01JD3ABCDEFGHJKMNPQRSTVWXY'], /expected a batch id/],
      [['batch', 'report', 'bat_01JD3ABCDEFGHJKMNPQRSTVWX'], /expected a batch id/],
      [
        ['batch', 'report', 'bat_01JD3ABCDEFGHJKMNPQRSTVWXY', '--output', join(dir, 'nowhere', 'r.csv')],
        /cannot write to .*nowhere/,
      ],
      [['batch', 'report', 'bat_01JD3ABCDEFGHJKMNPQRSTVWXY', '--output', dir], /is a directory/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.calls).toEqual([]);
    }
  });

  test('a tenant key from PAYOUTS_API_KEY or --key; the operator key is not one', async () => {
    const operatorOnly = { PAYOUTS_API_URL: system.api.url, PAYOUTS_OPERATOR_KEY: system.operatorKey };
    const noKey = await cli(['batch', 'status', firstBatchId], { env: operatorOnly });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no tenant API key: set PAYOUTS_API_KEY or pass --key <key>');
    expect(noKey.calls).toEqual([]);

    const flag = await cli(['batch', 'status', firstBatchId, '--key', tenant.key], { env: operatorOnly });
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/^status:\s+completed$/m);

    const operator = await cli(['batch', 'status', firstBatchId, '--key', system.operatorKey]);
    expect(operator.code).toBe(1);
    expect(operator.stderr).toContain('This route needs a tenant API key. (403 forbidden)');

    const wrong = await cli(['batch', 'report', firstBatchId, '--output', join(dir, 'wrong.csv')], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: 'sk_test_not_a_real_key_000000' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('401 unauthorized');
    expect(wrong.stderr).toContain('(check PAYOUTS_API_KEY or --key)');

    // Another tenant's batch is not found.
    const other = await createFundedTenant(system, 'cli-batch-other', 0);
    const hidden = await cli(['batch', 'status', firstBatchId], {
      env: { PAYOUTS_API_URL: system.api.url, PAYOUTS_API_KEY: other.key },
    });
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('404 not_found');
  });

  test('an unreachable API exits 3, and says the upload is safe to retry', async () => {
    const result = await cli(['batch', 'submit', SALARY_RUN], {
      env: { PAYOUTS_API_URL: 'http://127.0.0.1:9', PAYOUTS_API_KEY: tenant.key },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('could not reach the API at http://127.0.0.1:9');
    expect(result.stderr).toMatch(
      /run the same command again: it sends the same Idempotency-Key \(batch-[0-9a-f]{64}\)/,
    );
  });

  test('--help works for every batch command and exits 0', async () => {
    for (const args of [
      ['batch', '--help'],
      ['batch', 'submit', '--help'],
      ['batch', 'status', '--help'],
      ['batch', 'report', '--help'],
    ]) {
      const result = await cli(args, { env: {} });
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expect(result.stdout).toMatch(/^Usage: payouts batch/);
    }
  });
});
