import type { ProviderId } from '@payouts/core';
import type { RedisConnection } from './connections.ts';

/**
 * Per-provider state shared by every worker process through Redis (not per process):
 *
 * - **Circuit breaker.** A sustained run of failures that mean "the provider is down" (5xx,
 *   refused connections, timeouts) — `failureThreshold` in a row, any successful call resetting
 *   the run — opens the circuit: every worker of that provider pauses submissions for the
 *   cooldown, then lets calls through again (half-open). A success closes it; a failure while
 *   half-open reopens it with a doubled cooldown. Counting a run, not a rate, keeps a provider
 *   that fails every other call working (each failure is retried or looked up anyway).
 * - **Provider float.** When a provider answers "insufficient balance", the provider is marked
 *   low: payouts for it are parked without calling it, and only one probe at a time tries again,
 *   with a growing interval — never every parked payout at once. A successful probe, or an
 *   operator saying the provider was funded, clears the mark and the parked payouts are released
 *   in order.
 * - **Rejected credentials.** When a provider answers that our credentials are invalid or our
 *   account is misconfigured, nothing about the payout was wrong: the provider is parked (gate
 *   reason `credentials_rejected`), every payout stays where it is, and one probe at a time tries
 *   again with a growing interval until the configuration is fixed; then the held payouts go on,
 *   with the keys they always had.
 */
export interface GateSettings {
  /** Failures in a row (no success between them) that open the circuit. */
  failureThreshold: number;
  /** A run older than this is forgotten. */
  failureWindowMs: number;
  cooldownMs: number;
  maxCooldownMs: number;
  lowBalanceFirstProbeMs: number;
  lowBalanceMaxProbeMs: number;
  credentialsFirstProbeMs: number;
  credentialsMaxProbeMs: number;
}

export const DEFAULT_GATE_SETTINGS: GateSettings = {
  failureThreshold: 20,
  failureWindowMs: 30_000,
  cooldownMs: 5_000,
  maxCooldownMs: 60_000,
  lowBalanceFirstProbeMs: 2_000,
  lowBalanceMaxProbeMs: 5 * 60_000,
  credentialsFirstProbeMs: 2_000,
  credentialsMaxProbeMs: 60_000,
};

/** Why a provider's submissions are held besides its circuit: the gate reasons operators see. */
export type GateReason = 'provider_low_balance' | 'credentials_rejected';

/** The gate's marks as one `read()` found them (raw values; null: not set). */
export interface GateReading {
  openUntil: string | null;
  credentials: string | null;
  lowBalance: string | null;
  /** A run of failures was being counted, or the circuit was half-open: a success has something to reset. */
  runOfFailures: boolean;
}

type ProbeCheck = { go: true; probe: boolean } | { go: false; waitMs: number };

export type CircuitState = 'closed' | 'open' | 'half_open';

export class ProviderGate {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly provider: ProviderId,
    private readonly settings: GateSettings = DEFAULT_GATE_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Under the queues' prefix, so on a Redis Cluster these keys share the queues' hash slot. */
  private key(name: string): string {
    return `${this.prefix}:gate:${this.provider}:${name}`;
  }

  /**
   * The gate's three marks in one round trip, for a submission that checks them all (circuit,
   * credentials, float): pass it to `circuitWait`, `credentialsCheck` and `floatCheck`.
   */
  async read(): Promise<GateReading> {
    const [openUntil, credentials, lowBalance, failures, halfOpen] = await this.redis.mget(
      this.key('open-until'),
      this.key('credentials-rejected'),
      this.key('low-balance'),
      this.key('failures'),
      this.key('half-open'),
    );
    return {
      openUntil: openUntil ?? null,
      credentials: credentials ?? null,
      lowBalance: lowBalance ?? null,
      runOfFailures: failures != null || halfOpen != null,
    };
  }

  /** Milliseconds until submissions may go to the provider again (0 = go). */
  async circuitWait(reading?: GateReading): Promise<number> {
    const raw = reading ? reading.openUntil : await this.redis.get(this.key('open-until'));
    return Math.max(0, Number(raw ?? 0) - this.now());
  }

  async circuitState(): Promise<CircuitState> {
    if ((await this.circuitWait()) > 0) return 'open';
    return (await this.redis.exists(this.key('half-open'))) ? 'half_open' : 'closed';
  }

  /** Records a "provider is down" failure; returns the cooldown if this failure opened the circuit. */
  async recordFailure(): Promise<number | null> {
    // Calls already in flight when the circuit opened keep failing for a while: they say nothing
    // new, and must not push the reopening further out.
    if ((await this.circuitWait()) > 0) return null;
    const halfOpen = await this.redis.get(this.key('half-open'));
    if (halfOpen !== null) {
      // The probe after a cooldown failed: open again, for longer.
      return this.open(Math.min(this.settings.maxCooldownMs, Number(halfOpen) * 2));
    }
    const failures = this.key('failures');
    const count = await this.redis.incr(failures);
    if (count === 1) await this.redis.pexpire(failures, this.settings.failureWindowMs);
    if (count < this.settings.failureThreshold) return null;
    return this.open(this.settings.cooldownMs);
  }

  private async open(cooldownMs: number): Promise<number> {
    await this.redis
      .multi()
      .set(this.key('open-until'), String(this.now() + cooldownMs), 'PX', cooldownMs)
      // Remembered past the cooldown, so the next result is judged as the probe's.
      .set(this.key('half-open'), String(cooldownMs), 'PX', cooldownMs + this.settings.maxCooldownMs)
      .del(this.key('failures'))
      .exec();
    return cooldownMs;
  }

  /**
   * Any successful call ends the run of failures and closes a half-open circuit. Given the
   * reading taken before the call, a success with nothing to reset then costs no round trip (a
   * failure another process counted in between is reset by the next success that reads it).
   */
  async recordSuccess(reading?: GateReading): Promise<void> {
    if (reading && !reading.runOfFailures) return;
    await this.redis.del(this.key('failures'), this.key('half-open'));
  }

  // ── provider float ──────────────────────────────────────────────────────────────────────────

  /**
   * Whether this submission may call the provider: always while the float is not known to be low;
   * while it is, only as the one probe, once its time has come. Otherwise: how long to stay parked.
   */
  async floatCheck(reading?: GateReading): Promise<ProbeCheck> {
    return this.probeCheck('low-balance', this.settings.lowBalanceFirstProbeMs, reading?.lowBalance);
  }

  /** The provider said its balance is short: mark it low, next probe after a growing interval. */
  async markLowBalance(): Promise<number> {
    return this.mark('low-balance', this.settings.lowBalanceFirstProbeMs, this.settings.lowBalanceMaxProbeMs);
  }

  /** The provider has funds again (a probe went through, or an operator said so). Returns whether it was low. */
  async clearLowBalance(): Promise<boolean> {
    return this.clear('low-balance');
  }

  async isLowBalance(): Promise<boolean> {
    return (await this.redis.exists(this.key('low-balance'))) === 1;
  }

  // ── rejected credentials ────────────────────────────────────────────────────────────────────

  /** Whether this submission may call the provider while its credentials are known to be rejected: only as the one probe. */
  async credentialsCheck(reading?: GateReading): Promise<ProbeCheck> {
    return this.probeCheck('credentials-rejected', this.settings.credentialsFirstProbeMs, reading?.credentials);
  }

  /** The provider refused our credentials (or our account): park it, next probe after a growing interval. */
  async markCredentialsRejected(): Promise<number> {
    return this.mark(
      'credentials-rejected',
      this.settings.credentialsFirstProbeMs,
      this.settings.credentialsMaxProbeMs,
    );
  }

  /** A call went through with our credentials again. Returns whether they were marked rejected. */
  async clearCredentialsRejected(): Promise<boolean> {
    return this.clear('credentials-rejected');
  }

  async isCredentialsRejected(): Promise<boolean> {
    return (await this.redis.exists(this.key('credentials-rejected'))) === 1;
  }

  /** The reasons this provider's submissions are held now (besides an open circuit). */
  async reasons(): Promise<GateReason[]> {
    const [low, credentials] = await Promise.all([this.isLowBalance(), this.isCredentialsRejected()]);
    return [
      ...(low ? (['provider_low_balance'] as const) : []),
      ...(credentials ? (['credentials_rejected'] as const) : []),
    ];
  }

  // ── one probe at a time, with a growing interval ───────────────────────────────────────────

  /** `known`: the mark as `read()` found it (null: not set), instead of reading it now. */
  private async probeCheck(mark: string, waitWhenLost: number, known?: string | null): Promise<ProbeCheck> {
    const raw = known !== undefined ? known : await this.redis.get(this.key(mark));
    if (raw === null) return { go: true, probe: false };
    const { probeAt } = JSON.parse(raw) as { probeAt: number; backoffMs: number };
    const wait = probeAt - this.now();
    if (wait > 0) return { go: false, waitMs: wait };
    const won = await this.redis.set(this.key(`${mark}:probe`), '1', 'PX', 30_000, 'NX');
    return won === 'OK' ? { go: true, probe: true } : { go: false, waitMs: waitWhenLost };
  }

  private async mark(mark: string, firstMs: number, maxMs: number): Promise<number> {
    const raw = await this.redis.get(this.key(mark));
    const previous = raw ? (JSON.parse(raw) as { backoffMs: number }).backoffMs : 0;
    const backoffMs = previous ? Math.min(maxMs, previous * 2) : firstMs;
    await this.redis
      .multi()
      .set(this.key(mark), JSON.stringify({ probeAt: this.now() + backoffMs, backoffMs }))
      .del(this.key(`${mark}:probe`))
      .exec();
    return backoffMs;
  }

  private async clear(mark: string): Promise<boolean> {
    const removed = await this.redis.del(this.key(mark), this.key(`${mark}:probe`));
    return removed > 0;
  }
}
