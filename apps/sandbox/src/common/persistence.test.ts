import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@payouts/observability';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type AdminClient, WebhookReceiver, waitFor } from '../../test/common/test-support.ts';
import {
  ACCESS_TOKEN,
  accountEnding,
  DruoTestClient,
  payoutBody as druoBody,
  TENANT_ID,
} from '../../test/druo/test-support.ts';
import { API_TOKEN, KrayonTestClient, toAccount } from '../../test/krayon/test-support.ts';
import {
  ACCOUNT_NUMBER,
  KEY_ID,
  KEY_SECRET,
  RazorpayXTestClient,
  payoutBody as razorpayxBody,
} from '../../test/razorpayx/test-support.ts';
import { API_KEY, API_SECRET, ThaiGatewayTestClient, withdrawBody } from '../../test/thai-gateway/test-support.ts';
import { type RunningSandbox, startSandbox } from '../server.ts';
import type { ProviderConfigPatch } from './config.ts';

/*
 * A sandbox with a state directory keeps every simulator across a restart, as a real provider
 * does: the engine's lookups, idempotent retries and balances must mean the same after it.
 */

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly provider?: string;
}

/** The sandbox's log lines, parsed, so a test can count its warnings. */
class LogLines extends Writable {
  readonly lines: LogLine[] = [];

  override _write(chunk: unknown, _encoding: BufferEncoding, done: () => void): void {
    for (const line of String(chunk).split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as LogLine);
    done();
  }

  warnings(): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn');
  }
}

interface Started {
  readonly sandbox: RunningSandbox;
  readonly logs: LogLines;
  readonly razorpayx: RazorpayXTestClient;
  readonly krayon: KrayonTestClient;
  readonly thai: ThaiGatewayTestClient;
  readonly druo: DruoTestClient;
}

/** Every simulator of one sandbox on `dir`; `config` applies to all four. */
async function start(dir: string, config: ProviderConfigPatch = {}): Promise<Started> {
  const logs = new LogLines();
  const sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    stateDir: dir,
    logger: createLogger({ name: 'sandbox', level: 'info', destination: logs }),
    config: { progressDelayMs: 20, ...config },
    razorpayx: { keyId: KEY_ID, keySecret: KEY_SECRET, accountNumber: ACCOUNT_NUMBER },
    krayon: { apiToken: API_TOKEN },
    thaiGateway: { apiKey: API_KEY, apiSecret: API_SECRET },
    druo: { accessToken: ACCESS_TOKEN, tenantId: TENANT_ID },
  });
  return {
    sandbox,
    logs,
    razorpayx: new RazorpayXTestClient(sandbox),
    krayon: new KrayonTestClient(sandbox),
    thai: new ThaiGatewayTestClient(sandbox),
    druo: new DruoTestClient(sandbox),
  };
}

/** Long enough that nothing moves on its own while a test looks. */
const FROZEN: ProviderConfigPatch = { progressDelayMs: 3_600_000 };

const admins = (s: Started): AdminClient[] => [s.razorpayx.admin, s.krayon.admin, s.thai.admin, s.druo.admin];

async function everything(s: Started) {
  const [payouts, balances] = await Promise.all([
    Promise.all(admins(s).map((a) => a.payouts())),
    Promise.all(admins(s).map((a) => a.balance())),
  ]);
  return { payouts, balances, druo: s.druo.sim.allBalances() };
}

let dir: string;
const running: Started[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.sandbox.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function startOn(config: ProviderConfigPatch = {}): Promise<Started> {
  const started = await start(dir, config);
  running.push(started);
  return started;
}

async function stop(s: Started): Promise<void> {
  running.splice(running.indexOf(s), 1);
  await s.sandbox.close();
}

describe('a sandbox with a state directory, restarted', () => {
  test('answers the same payouts, keys, references and balances, and settles what was in progress', async () => {
    // First run: nothing moves on its own; final states are forced, the rest stays in progress.
    const first = await startOn(FROZEN);

    await first.razorpayx.admin.setBalance(2_000_000);
    const rzpSettledBody = razorpayxBody({ amount: 100_000, reference_id: 'rzp-settled' });
    const rzpSettled = await first.razorpayx.created(rzpSettledBody, 'rzp-key-settled');
    expect((await first.razorpayx.admin.forceStatus(rzpSettled.id, 'processed')).status).toBe(200);
    const rzpInFlight = await first.razorpayx.created(razorpayxBody({ amount: 100_000 }), 'rzp-key-in-flight');
    const rzpQueued = await first.razorpayx.created(razorpayxBody({ amount: 5_000_000 }), 'rzp-key-queued');
    expect([rzpInFlight.status, rzpQueued.status]).toEqual(['processing', 'queued']);

    const krySettledBody = toAccount('1111111111');
    const krySettled = await first.krayon.created(krySettledBody);
    expect((await first.krayon.admin.forceStatus(krySettled.id, 'COMPLETED')).status).toBe(200);
    const kryInFlight = await first.krayon.created(toAccount('2222222222'));

    const thaiSettledBody = withdrawBody();
    const thaiSettled = await first.thai.created(thaiSettledBody);
    expect((await first.thai.admin.forceStatus(thaiSettled.id, 'completed')).status).toBe(200);
    // 0002: completed, then reversed: the decided outcome must survive the restart too.
    const thaiInFlight = await first.thai.created(withdrawBody({ customerBankAccountNumber: '1234560002' }));

    await first.druo.admin.setBalance(1_000_000);
    const druoSettled = await first.druo.created(druoBody());
    expect((await first.druo.admin.forceStatus(druoSettled.uuid, 'SUCCESSFUL')).status).toBe(200);
    // 0001: fails at the bank after the restart, and its money comes back then.
    const druoInFlight = await first.druo.created(druoBody({ destination_account_id: accountEnding('0001') }));
    const druoDeclined = await first.druo.created(druoBody({ amount: 5_000_000 }));
    expect([druoInFlight.status, druoDeclined.status]).toEqual(['PENDING', 'DECLINED']);

    // Written after changes, not only on close.
    await waitFor(
      () => {
        const file = join(dir, 'druo.json');
        return existsSync(file) && readFileSync(file, 'utf8').includes(druoDeclined.uuid) ? true : undefined;
      },
      { what: 'druo.json written after the last create' },
    );

    const before = await everything(first);
    const rzpSettledRead = (await first.razorpayx.get(rzpSettled.id)).body;
    await stop(first);

    // Second run, still frozen: the same state, answered the same way.
    const second = await startOn(FROZEN);
    expect(second.logs.warnings()).toEqual([]);
    expect(await everything(second)).toEqual(before);

    const lookup = await second.razorpayx.get(rzpSettled.id);
    expect(lookup.status).toBe(200);
    expect(lookup.body).toEqual(rzpSettledRead);
    expect((await second.krayon.get(kryInFlight.id)).body.data).toEqual(kryInFlight);
    expect((await second.thai.get(thaiInFlight.id)).body.data).toEqual(thaiInFlight);
    expect((await second.druo.get(druoDeclined.uuid)).body.payout).toEqual(druoDeclined);

    // Idempotent retries and references still refer to the payouts made before the restart.
    const replay = await second.razorpayx.create(rzpSettledBody, { key: 'rzp-key-settled' });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ id: rzpSettled.id, status: 'processed' });
    const conflict = await second.razorpayx.create({ ...rzpSettledBody, amount: 200_000 }, { key: 'rzp-key-settled' });
    expect(conflict.status).toBe(400);
    const thaiReplay = await second.thai.create(thaiSettledBody);
    expect(thaiReplay.status).toBe(201);
    expect(thaiReplay.body.data).toMatchObject({ id: thaiSettled.id, status: 'completed' });
    const kryDuplicate = await second.krayon.create(krySettledBody);
    expect(kryDuplicate.status).toBe(409);
    expect(await everything(second)).toEqual(before);
    await stop(second);

    // Third run, at normal speed: what was in progress settles, with its webhooks.
    const receiver = await WebhookReceiver.start();
    try {
      const third = await startOn({ webhookUrl: receiver.url });
      expect(third.logs.warnings()).toEqual([]);
      await third.razorpayx.waitForStatus(rzpInFlight.id, 'processed');
      await third.krayon.waitForStatus(kryInFlight.id, 'COMPLETED');
      await third.thai.waitForStatus(thaiInFlight.id, 'reversed');
      await third.druo.waitForStatus(druoInFlight.uuid, 'FAILED');
      await waitFor(
        () =>
          receiver.received.some((w) => w.body.includes('payout.processed') && w.body.includes(rzpInFlight.id))
            ? true
            : undefined,
        { what: 'the payout.processed webhook of a payout resumed after the restart' },
      );
      expect(third.druo.balance('USD')).toBe(before.druo.USD + (druoInFlight.net_amount ?? Number.NaN));

      // The low-balance queue came back too: a top-up releases the payout queued before the restart.
      const topUp = await third.razorpayx.admin.setBalance(100_000_000);
      expect(topUp.body.released).toEqual([rzpQueued.id]);
      await third.razorpayx.waitForStatus(rzpQueued.id, 'processed');

      // What was final stays as it was, and nothing was created twice.
      expect((await third.razorpayx.get(rzpSettled.id)).body).toEqual(rzpSettledRead);
      expect((await third.druo.get(druoDeclined.uuid)).body.payout?.status).toBe('DECLINED');
      const counts = (await Promise.all(admins(third).map((a) => a.payouts()))).map((p) => p.length);
      expect(counts).toEqual([3, 2, 2, 3]);
    } finally {
      await receiver.close();
    }
  });

  test('a missing or unreadable file starts that simulator empty, with one warning, and is not lost', async () => {
    writeFileSync(join(dir, 'razorpayx.json'), '{"format": 1, "provider": "razorpayx", "sta');
    writeFileSync(join(dir, 'krayon.json'), JSON.stringify({ format: 1, provider: 'krayon' }));

    const started = await startOn();

    const warned = started.logs.warnings().map((w) => w.provider);
    expect(warned.sort()).toEqual(['druo', 'krayon', 'razorpayx', 'thai-gateway']);
    expect(await started.razorpayx.admin.payouts()).toEqual([]);
    expect(await started.krayon.admin.payouts()).toEqual([]);
    const aside = readdirSync(dir).filter((f) => f.includes('.unreadable-'));
    expect(aside.map((f) => f.split('.json')[0]).sort()).toEqual(['krayon', 'razorpayx']);

    // It works as a fresh sandbox does, and its new state replaces the unreadable one.
    const payout = await started.razorpayx.created(razorpayxBody());
    await stop(started);
    const saved = JSON.parse(readFileSync(join(dir, 'razorpayx.json'), 'utf8')) as {
      state: { payouts: { id: string }[] };
    };
    expect(saved.state.payouts.map((p) => p.id)).toEqual([payout.id]);
  });
});
