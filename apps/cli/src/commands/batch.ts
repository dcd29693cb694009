import { createHash } from 'node:crypto';
import { constants, createReadStream, createWriteStream, type Stats } from 'node:fs';
import { access, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES, PAYOUT_STATUSES } from '@payouts/core';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { type ApiClient, ApiProblem, type ApiResponse, ApiUnreachable } from '../api-client.ts';
import { CheckFailed, type Context, type GlobalOptions, Interrupted } from '../context.ts';
import { amount, elapsed, fields, json, table } from '../format.ts';
import { IDEMPOTENCY_KEY, JSON_HELP, parseBatchId } from '../options.ts';

/**
 * A tenant's payout runs (POST /v1/payout-batches and its reads), from a CSV file: upload it
 * streamed, follow it until every payout is final, read its status, download its per-row results.
 * Tenant routes: these commands call with a tenant API key (PAYOUTS_API_KEY or --key).
 */

interface RowError {
  row: number;
  field: string;
  message: string;
}

interface Batch {
  id: string;
  object: 'payout_batch';
  mode: string;
  on_insufficient_funds: string;
  source: string;
  rows: { total: number; accepted: number; rejected: number };
  totals: { currency: string; provider: string; count: number; amount: number }[];
  created_at: string;
}

/** The upload's answer: the batch, and its refused rows (accept_valid; the first 1,000). */
interface BatchCreated extends Batch {
  errors: RowError[];
}

/** GET /v1/payout-batches/{id}. */
export interface BatchStatus extends Batch {
  status: 'processing' | 'completed';
  counts: Record<string, number>;
  amounts: Record<string, Record<string, number>>;
  progress: { final: number; total: number; percent: number };
  completed_at: string | null;
  elapsed_ms: number;
}

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
/** Row errors printed after an upload that went ahead (accept_valid); the report has them all. */
const ACCEPTED_ERRORS_SHOWN = 10;
/** Row errors printed for a refused upload. */
const REFUSED_ERRORS_SHOWN = 50;

/** Final states first (what is done), then the ones still moving, in lifecycle order. */
const STATE_ORDER: readonly string[] = [
  ...PAYOUT_STATUSES.filter((s) => FINAL_STATUSES.has(s)),
  ...PAYOUT_STATUSES.filter((s) => !FINAL_STATUSES.has(s)),
];

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
    .option('--output <file>', 'where to write it (default: <batchId>-results.csv in this directory)')
    .action(async (batchId: string, opts: { output?: string }, cmd: Command) => {
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

interface Progress {
  update(status: BatchStatus): void;
  stop(): void;
}

/** Not a terminal (a pipe, CI, tests): one plain line each time something changed. */
class LineProgress implements Progress {
  private last = '';

  constructor(private readonly write: (s: string) => void) {}

  update(status: BatchStatus): void {
    const line = progressLine(status);
    if (line === this.last) return;
    this.last = line;
    this.write(`${line}\n`);
  }

  stop(): void {}
}

/** A terminal: one live bar, redrawn in place. */
class BarProgress implements Progress {
  private bar: SingleBar | null = null;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(status: BatchStatus): void {
    const payload = { states: statesOf(status.counts) };
    if (!this.bar) {
      this.bar = new SingleBar(
        {
          stream: this.stream,
          format: 'progress |{bar}| {percentage}% {value}/{total} {states}',
          hideCursor: true,
          barsize: 30,
        },
        Presets.shades_classic,
      );
      this.bar.start(status.progress.total, status.progress.final, payload);
    } else {
      this.bar.update(status.progress.final, payload);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** `progress 1200/5000 (24.0%) processed=1100 failed=3 queued=97` */
export function progressLine(status: BatchStatus): string {
  const { final, total, percent } = status.progress;
  return `progress ${final}/${total} (${percent.toFixed(1)}%) ${statesOf(status.counts)}`.trimEnd();
}

function statesOf(counts: Record<string, number>): string {
  return orderedStates(counts)
    .map(([state, n]) => `${state}=${n}`)
    .join(' ');
}

function orderedStates<V>(byState: Record<string, V>): [string, V][] {
  const rank = (s: string) => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
  return Object.entries(byState).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function describeSubmitted(b: BatchCreated, key: string, replayed: boolean): string {
  const head = fields([
    ['batch', b.id],
    ['rows', `${b.rows.total} total, ${b.rows.accepted} accepted, ${b.rows.rejected} rejected`],
    ['mode', `${b.mode}, on insufficient funds: ${b.on_insufficient_funds}`],
    ['idempotency key', key],
    ['replayed', replayed ? 'yes: this file was submitted before with these options; this is that run' : 'no'],
  ]);
  const totals = table(
    [
      { header: 'currency', value: (t: Batch['totals'][number]) => t.currency },
      { header: 'provider', value: (t) => t.provider },
      { header: 'payouts', value: (t) => t.count, align: 'right' },
      { header: 'amount', value: (t) => amount(t.amount, t.currency), align: 'right' },
    ],
    b.totals,
  );
  let rejected = '';
  if (b.errors.length > 0) {
    const shown = b.errors.slice(0, ACCEPTED_ERRORS_SHOWN);
    const more = b.errors.length - shown.length;
    rejected = `\nRejected rows (${b.rows.rejected}):\n${table(
      [
        { header: 'row', value: (e: RowError) => e.row, align: 'right' },
        { header: 'column', value: (e) => e.field },
        { header: 'message', value: (e) => e.message, max: 100 },
      ],
      shown,
    )}${more > 0 ? `… and ${more} more (every row: pnpm cli batch report ${b.id})\n` : ''}`;
  }
  return `${head}\n${totals}${rejected}`;
}

function describeFinished(s: BatchStatus): string {
  return `\nBatch ${s.id} completed in ${elapsed(s.elapsed_ms)}.\n\n${stateTables(s)}\nResults per row: pnpm cli batch report ${s.id}\n`;
}

function describeStatus(s: BatchStatus): string {
  const head = fields([
    ['batch', s.id],
    ['status', s.status],
    ['mode', `${s.mode}, on insufficient funds: ${s.on_insufficient_funds}`],
    ['rows', `${s.rows.total} total, ${s.rows.accepted} accepted, ${s.rows.rejected} rejected`],
    ['progress', `${s.progress.final}/${s.progress.total} final (${s.progress.percent.toFixed(1)}%)`],
    ['created at', s.created_at],
    ['completed at', s.completed_at],
    ['elapsed', elapsed(s.elapsed_ms)],
  ]);
  return `${head}\n${stateTables(s)}`;
}

/** Payouts per state, then amounts per currency and state. */
function stateTables(s: BatchStatus): string {
  const counts = table(
    [
      { header: 'state', value: ([state]: [string, number]) => state },
      { header: 'payouts', value: ([, n]) => n, align: 'right' },
    ],
    orderedStates(s.counts),
  );
  const amounts = Object.keys(s.amounts)
    .sort()
    .flatMap((currency) =>
      orderedStates(s.amounts[currency] ?? {}).map(([state, minor]) => ({ currency, state, minor })),
    );
  const perCurrency = table(
    [
      { header: 'currency', value: (a: (typeof amounts)[number]) => a.currency },
      { header: 'state', value: (a) => a.state },
      { header: 'amount', value: (a) => amount(a.minor, a.currency), align: 'right' },
    ],
    amounts,
  );
  return `${counts}\n${perCurrency}`;
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

/**
 * The default Idempotency-Key: a SHA-256 of the options and the file's bytes, read in a first
 * streaming pass. The same file with the same options is the same key, so the API recognises a
 * re-run and answers with the first run; another file, or other options, is another key.
 */
async function fileKey(cmd: Command, file: string, query: Record<string, string>): Promise<string> {
  const hash = createHash('sha256').update(
    `payouts-cli batch submit\nmode=${query.mode}\non_insufficient_funds=${query.on_insufficient_funds}\n`,
  );
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    cmd.error(`error: cannot read ${file}: ${fsReason(error)}`);
  }
  return `batch-${hash.digest('hex')}`;
}

async function checkReadable(cmd: Command, file: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(file);
    await access(file, constants.R_OK);
  } catch (error) {
    cmd.error(`error: cannot read ${file}: ${fsReason(error)}`);
  }
  if (!info.isFile()) cmd.error(`error: ${file} is not a file`);
}

async function checkWritable(cmd: Command, target: string): Promise<void> {
  try {
    await access(dirname(target), constants.W_OK);
  } catch (error) {
    cmd.error(`error: cannot write to ${dirname(target)}: ${fsReason(error)}`);
  }
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) cmd.error(`error: ${target} is a directory; --output names the file to write`);
}

function fsReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Streams the download to `target` (through a `.part` file, so a cut-off download leaves no
 * half file behind) and counts its data rows: lines outside quoted fields, less the header.
 */
async function save(client: ApiClient, res: Response, target: string): Promise<number> {
  const part = `${target}.part`;
  let lines = 0;
  let quoted = false;
  let last = 0x0a;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (const byte of chunk) {
        if (byte === 0x22) quoted = !quoted;
        else if (byte === 0x0a && !quoted) lines++;
      }
      if (chunk.length > 0) last = chunk[chunk.length - 1]!;
      done(null, chunk);
    },
  });
  const body = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
  const file = createWriteStream(part);
  try {
    await pipeline(body, counter, file);
    await rename(part, target);
  } catch (error) {
    await rm(part, { force: true });
    const local = typeof (error as { syscall?: unknown }).syscall === 'string';
    if (local) throw new CheckFailed(`could not write ${target}: ${fsReason(error)}`);
    throw new ApiUnreachable(client.baseUrl, `the download was cut off: ${(error as Error).message}`);
  }
  if (last !== 0x0a) lines++; // a last line without its newline
  return Math.max(0, lines - 1);
}
