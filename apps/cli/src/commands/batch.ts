import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { type ApiClient, ApiProblem, type ApiResponse, ApiUnreachable } from '../api-client.ts';
import { describeFinished, describeStatus, describeSubmitted } from '../batch/describe.ts';
import { checkReadable, checkWritable, copyToOutput, fileKey, save } from '../batch/files.ts';
import { BarProgress, LineProgress, type Progress } from '../batch/progress.ts';
import type { BatchCreated, BatchStatus, RowError } from '../batch/types.ts';
import { CheckFailed, type Context, type GlobalOptions, Interrupted } from '../context.ts';
import { fields, json } from '../format.ts';
import { IDEMPOTENCY_KEY, JSON_HELP, parseBatchId } from '../options.ts';

/**
 * A tenant's payout runs (POST /v1/payout-batches and its reads), from a CSV file: upload it
 * streamed, follow it until every payout is final, read its status, download its per-row results.
 * Tenant routes: these commands call with a tenant API key (PAYOUTS_API_KEY or --key).
 */

const MODES = ['all_or_nothing', 'accept_valid'] as const;
const ON_INSUFFICIENT_FUNDS = ['refuse', 'queue'] as const;

interface SubmitOptions {
  mode: (typeof MODES)[number];
  onInsufficientFunds: (typeof ON_INSUFFICIENT_FUNDS)[number];
  idempotencyKey?: string;
  /** false with --no-wait. */
  wait: boolean;
}

const POLL_MS = 500;
/** The API validates and stores the whole run before it answers: a 100,000-row file takes a while. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;
/** Consecutive failed polls (unreachable, 5xx) tolerated while waiting before giving up. */
const MAX_POLL_FAILURES = 20;
/** Row errors printed for a refused upload. */
const REFUSED_ERRORS_SHOWN = 50;

export function registerBatch(program: Command, ctx: Context): void {
  const batch = program
    .command('batch')
    .description("a tenant's payout runs from a CSV file (tenant key: PAYOUTS_API_KEY or --key)");

  batch
    .command('submit')
    .description('upload a CSV run (streamed), then follow its progress until every payout is final')
    .argument('<file>', 'the CSV file, one payout per row (columns: docs/batches.md)')
    .addOption(
      new Option(
        '--mode <mode>',
        'all_or_nothing: one invalid row refuses the whole run; accept_valid: the valid rows go ahead',
      )
        .choices(MODES)
        .default('all_or_nothing'),
    )
    .addOption(
      new Option(
        '--on-insufficient-funds <what>',
        'refuse: a run the wallet cannot cover is refused; queue: it is stored and waits for a funding',
      )
        .choices(ON_INSUFFICIENT_FUNDS)
        .default('refuse'),
    )
    .option(
      '--idempotency-key <key>',
      "Idempotency-Key header (default: a SHA-256 of the file's bytes and these options, so running the " +
        'same command again is recognised and answered with the first run)',
    )
    .option('--no-wait', 'return once the run is accepted, without following it')
    .option(
      '--json',
      'print one JSON object: idempotency_key, replayed, submitted (the upload answer) and status ' +
        '(the final status; null with --no-wait)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 the run completed (some payouts may have failed: see the counts), 1 refused,\n' +
        '2 bad arguments, 3 API unreachable, 130 stopped waiting with Ctrl-C (the run goes on).\n\n' +
        'Examples:\n  $ PAYOUTS_API_KEY=sk_test_… pnpm cli batch submit docs/examples/salary-run.csv\n' +
        '  $ pnpm cli batch submit march.csv --mode accept_valid --on-insufficient-funds queue --no-wait',
    )
    .action((file: string, opts: SubmitOptions, cmd: Command) => submit(ctx, cmd, file, opts));

  batch
    .command('status')
    .description("a run's progress: payouts per state, amounts per currency, timing")
    .argument('<batchId>', 'the batch (bat_…)', parseBatchId)
    .option('--json', JSON_HELP)
    .action(async (batchId: string, _opts: unknown, cmd: Command) => {
      const { body } = await ctx.client(cmd, 'tenant').get<BatchStatus>(batchPath(batchId));
      ctx.emit(cmd, body, () => describeStatus(body));
    });

  batch
    .command('report')
    .description("download a run's results: one CSV line per uploaded row, refused rows included")
    .argument('<batchId>', 'the batch (bat_…)', parseBatchId)
    .option(
      '--output <file>',
      'where to write it; - for standard output (default: <batchId>-results.csv in this directory)',
    )
    .action(async (batchId: string, opts: { output?: string }, cmd: Command) => {
      if (opts.output === '-') {
        const client = ctx.client(cmd, 'tenant');
        const res = await client.download(`${batchPath(batchId)}/results.csv`);
        await copyToOutput(client, res, (s) => ctx.io.out(s));
        return;
      }
      const target = resolve(opts.output ?? `${batchId}-results.csv`);
      await checkWritable(cmd, target);
      const client = ctx.client(cmd, 'tenant');
      const res = await client.download(`${batchPath(batchId)}/results.csv`);
      const rows = await save(client, res, target);
      ctx.io.out(
        fields([
          ['file', target],
          ['rows', `${rows} (plus the header line)`],
        ]),
      );
    });
}

async function submit(ctx: Context, cmd: Command, file: string, opts: SubmitOptions): Promise<void> {
  if (opts.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(opts.idempotencyKey)) {
    cmd.error('error: --idempotency-key must be 1 to 255 visible ASCII characters');
  }
  await checkReadable(cmd, file);
  const client = ctx.client(cmd, 'tenant');
  const asJson = Boolean(cmd.optsWithGlobals<GlobalOptions>().json);
  const query = { mode: opts.mode, on_insufficient_funds: opts.onInsufficientFunds };
  const key = opts.idempotencyKey ?? (await fileKey(cmd, file, query));

  // Second pass: the file streamed as the request body, never held whole.
  const upload = createReadStream(file);
  let res: ApiResponse<BatchCreated>;
  try {
    res = await client.post<BatchCreated>('/v1/payout-batches', {
      query,
      upload: { body: upload, contentType: 'text/csv' },
      headers: { 'idempotency-key': key },
      timeoutMs: UPLOAD_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof ApiProblem && error.code === 'batch_invalid') throw rowsRefused(error, opts.mode);
    if (error instanceof ApiUnreachable || (error instanceof ApiProblem && error.serverSide)) {
      ctx.note(
        `To retry safely, run the same command again: it sends the same Idempotency-Key (${key}), ` +
          'so a run the API did store is answered again, not stored twice.',
      );
    }
    throw error;
  } finally {
    upload.destroy();
  }

  const created = res.body;
  const replayed = res.headers.get('idempotent-replayed') === 'true';
  if (!asJson) ctx.io.out(describeSubmitted(created, key, replayed));
  if (!opts.wait) {
    if (asJson) ctx.io.out(json({ idempotency_key: key, replayed, submitted: created, status: null }));
    else ctx.io.out(`\nNot waiting. Follow it with: pnpm cli batch status ${created.id}\n`);
    return;
  }
  if (!asJson) ctx.io.out('\n');
  const final = await follow(ctx, client, created.id, asJson);
  if (asJson) ctx.io.out(json({ idempotency_key: key, replayed, submitted: created, status: final }));
  else ctx.io.out(describeFinished(final));
}

/**
 * Polls the run every 500 ms until it completes, drawing its progress: a live bar on a terminal,
 * otherwise one line per change. Ctrl-C stops waiting (not the run).
 */
async function follow(ctx: Context, client: ApiClient, batchId: string, asJson: boolean): Promise<BatchStatus> {
  const stop = new AbortController();
  const unregister = ctx.io.onInterrupt?.(() => stop.abort(new Interrupted()));
  const progress: Progress =
    ctx.io.terminal && !asJson
      ? new BarProgress(ctx.io.terminal)
      : // With --json, stdout holds only the JSON: progress goes to stderr.
        new LineProgress(asJson ? ctx.io.err : ctx.io.out);
  const later = () => `Check it later with:\n  pnpm cli batch status ${batchId}\n  pnpm cli batch report ${batchId}`;
  let failures = 0;
  try {
    for (;;) {
      try {
        const { body } = await client.get<BatchStatus>(batchPath(batchId), { signal: stop.signal });
        failures = 0;
        progress.update(body);
        if (body.status === 'completed') return body;
      } catch (error) {
        if (stop.signal.aborted || !isTransient(error) || ++failures >= MAX_POLL_FAILURES) throw error;
        if (failures === 1) ctx.note(`warning: ${(error as Error).message}; still trying`);
      }
      await sleep(POLL_MS, undefined, { signal: stop.signal });
    }
  } catch (error) {
    progress.stop();
    if (stop.signal.aborted) {
      ctx.note(`\nStopped waiting; the run continues on the server. ${later()}`);
      throw new Interrupted();
    }
    if (isTransient(error)) ctx.note(`The run was stored and continues on the server. ${later()}`);
    throw error;
  } finally {
    progress.stop();
    unregister?.();
  }
}

function isTransient(error: unknown): boolean {
  return error instanceof ApiUnreachable || (error instanceof ApiProblem && error.serverSide);
}

/** A 422 batch_invalid: every row error (up to 50), as a finding (exit 1). */
function rowsRefused(error: ApiProblem, mode: SubmitOptions['mode']): CheckFailed {
  const rowErrors = Array.isArray(error.body?.row_errors) ? (error.body.row_errors as RowError[]) : [];
  const shown = rowErrors.slice(0, REFUSED_ERRORS_SHOWN);
  const lines = [
    `the API refused the run: ${error.detail} (${error.status} ${error.code})`,
    ...shown.map((e) => `  row ${e.row}, ${e.field}: ${e.message}`),
  ];
  if (rowErrors.length > shown.length) lines.push(`  … and ${rowErrors.length - shown.length} more`);
  if (mode === 'all_or_nothing')
    lines.push('  (or run it again with --mode accept_valid to submit the valid rows only)');
  if (error.requestId) lines.push(`  request id: ${error.requestId}`);
  return new CheckFailed(lines.join('\n'));
}

function batchPath(batchId: string): string {
  return `/v1/payout-batches/${encodeURIComponent(batchId)}`;
}
