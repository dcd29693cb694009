import { testQueuePrefix, testRedisUrl } from '@payouts/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProviderGate } from './provider-gate.ts';

let redis: Redis;
let now = 1_000_000;
const settings = {
  failureThreshold: 3,
  failureWindowMs: 10_000,
  cooldownMs: 1_000,
  maxCooldownMs: 8_000,
  lowBalanceFirstProbeMs: 500,
  lowBalanceMaxProbeMs: 2_000,
  credentialsFirstProbeMs: 300,
  credentialsMaxProbeMs: 1_200,
};
const gate = (prefix: string) => new ProviderGate(redis, prefix, 'razorpayx', settings, () => now);

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => {
  redis.disconnect();
});

describe('the circuit breaker', () => {
  test('opens after a run of failures, lets one probe through after the cooldown, and closes on success', async () => {
    const g = gate(testQueuePrefix());
    expect(await g.recordFailure()).toBeNull();
    expect(await g.recordFailure()).toBeNull();
    expect(await g.circuitState()).toBe('closed');
    expect(await g.recordFailure()).toBe(1_000);
    expect(await g.circuitState()).toBe('open');
    expect(await g.circuitWait()).toBe(1_000);
    // Late failures of calls already in flight do not extend it.
    expect(await g.recordFailure()).toBeNull();
    expect(await g.circuitWait()).toBe(1_000);

    now += 1_000;
    expect(await g.circuitWait()).toBe(0);
    expect(await g.circuitState()).toBe('half_open');
    // The probe fails: open again, for twice as long.
    expect(await g.recordFailure()).toBe(2_000);
    now += 2_000;
    await g.recordSuccess();
    expect(await g.circuitState()).toBe('closed');
    expect(await g.recordFailure()).toBeNull();
  });

  test('one reading answers the three checks as they would, and a success after a clean reading costs nothing', async () => {
    const prefix = testQueuePrefix();
    const g = gate(prefix);
    const clean = await g.read();
    expect(clean).toEqual({ openUntil: null, credentials: null, lowBalance: null, runOfFailures: false });
    expect(await g.circuitWait(clean)).toBe(0);
    expect(await g.credentialsCheck(clean)).toEqual({ go: true, probe: false });
    expect(await g.floatCheck(clean)).toEqual({ go: true, probe: false });

    await g.recordFailure();
    await g.markLowBalance();
    const failing = await g.read();
    expect(failing.runOfFailures).toBe(true);
    expect(await g.floatCheck(failing)).toEqual(await g.floatCheck());
    // A success read before the failures resets nothing; one read after them ends the run.
    await g.recordSuccess(clean);
    expect(await redis.exists(`${prefix}:gate:razorpayx:failures`)).toBe(1);
    await g.recordSuccess(failing);
    expect((await g.read()).runOfFailures).toBe(false);
    for (let i = 0; i < 3; i++) await g.recordFailure();
    expect(await g.circuitWait(await g.read())).toBe(1_000);
  });

  test('is shared: another process sees the same circuit', async () => {
    const prefix = testQueuePrefix();
    const a = gate(prefix);
    const b = gate(prefix);
    for (let i = 0; i < 3; i++) await a.recordFailure();
    expect(await b.circuitState()).toBe('open');
  });
});

describe('a provider low on float', () => {
  test('parks everyone until the probe time, then lets exactly one probe through', async () => {
    const g = gate(testQueuePrefix());
    expect(await g.floatCheck()).toEqual({ go: true, probe: false });
    expect(await g.markLowBalance()).toBe(500);
    expect(await g.floatCheck()).toEqual({ go: false, waitMs: 500 });

    now += 500;
    const checks = await Promise.all(Array.from({ length: 10 }, () => g.floatCheck()));
    expect(checks.filter((c) => c.go)).toEqual([{ go: true, probe: true }]);

    // The probe met the same answer: wait longer before the next one.
    expect(await g.markLowBalance()).toBe(1_000);
    expect(await g.markLowBalance()).toBe(2_000);
    expect(await g.markLowBalance()).toBe(2_000);
  });

  test('is cleared when funds are back, and says whether it was low', async () => {
    const g = gate(testQueuePrefix());
    await g.markLowBalance();
    expect(await g.isLowBalance()).toBe(true);
    expect(await g.clearLowBalance()).toBe(true);
    expect(await g.clearLowBalance()).toBe(false);
    expect(await g.floatCheck()).toEqual({ go: true, probe: false });
  });
});

describe('rejected credentials', () => {
  test('park the provider: one probe at a time, at a growing interval; cleared when a call goes through', async () => {
    const g = gate(testQueuePrefix());
    expect(await g.credentialsCheck()).toEqual({ go: true, probe: false });
    expect(await g.reasons()).toEqual([]);
    expect(await g.markCredentialsRejected()).toBe(300);
    expect(await g.isCredentialsRejected()).toBe(true);
    expect(await g.reasons()).toEqual(['credentials_rejected']);
    expect(await g.credentialsCheck()).toEqual({ go: false, waitMs: 300 });
    // The float is a separate matter: a low float does not hold, nor clear, the credentials mark.
    expect(await g.floatCheck()).toEqual({ go: true, probe: false });

    now += 300;
    const checks = await Promise.all(Array.from({ length: 10 }, () => g.credentialsCheck()));
    expect(checks.filter((c) => c.go)).toEqual([{ go: true, probe: true }]);
    expect(await g.markCredentialsRejected()).toBe(600);
    expect(await g.markCredentialsRejected()).toBe(1_200);
    expect(await g.markCredentialsRejected()).toBe(1_200);

    expect(await g.clearCredentialsRejected()).toBe(true);
    expect(await g.clearCredentialsRejected()).toBe(false);
    expect(await g.credentialsCheck()).toEqual({ go: true, probe: false });
  });
});
