import { expect, test } from 'vitest';
import { runChaos } from './harness.ts';
import { type ChaosReport, formatReport } from './report.ts';

/**
 * The short chaos run (docs/architecture.md#guarantees; `pnpm chaos` is the long one): the apps as
 * separate processes on a private Redis and database, ~400 payouts over all four providers while
 * workers and reconcilers are SIGKILLed, Redis is restarted once and flushed once, RazorpayX's
 * credentials are revoked and then restored, an IMPS downtime is declared and ended, and the
 * providers inject faults. Then:
 * every payout final, none lost, one provider-side payout each at most, ledger and wallets exact.
 */
const PAYOUTS = 400;

test('payouts survive SIGKILLed workers and reconcilers, a Redis restart, a FLUSHALL, rotated credentials, a downtime and provider faults', async () => {
  const lines: string[] = [];
  let report: ChaosReport;
  try {
    report = await runChaos({
      payouts: PAYOUTS,
      concurrency: 16,
      minKills: 4,
      chaosAfterLoadMs: 8_000,
      // The test's own timeout is 300 s: the settle wait is cut to leave room for the checks and cleanup.
      deadlineMs: 270_000,
      log: (line) => lines.push(line),
    });
  } catch (error) {
    console.error(lines.join('\n'));
    throw error;
  }
  if (report.violations.length > 0) {
    console.error([...lines, formatReport(report), ...report.warnings, 'VIOLATIONS:', ...report.violations].join('\n'));
  } else {
    console.log(formatReport(report));
  }

  expect(report.violations).toEqual([]);
  expect(report.accepted).toBe(PAYOUTS);
  expect(report.lost).toBe(0);
  expect(report.extraInDatabase).toBe(0);
  expect(report.notFinal).toBe(0);
  expect(report.duplicatedAtProviders).toBe(0);
  expect(report.missingAtProviders).toBe(0);
  expect(report.unaccountedAtProviders).toBe(0);
  expect(report.ledgerProblems).toEqual([]);
  // A share of the payouts waited for approval and was approved while the processes were killed.
  expect(report.approvalsNeeded).toBeGreaterThan(0);
  expect(report.approved).toBe(report.approvalsNeeded);
  for (const currency of ['INR', 'THB', 'USD', 'COP']) {
    expect(report.ledgerTotals[currency], `ledger ${currency}`).toBe('0');
    expect(report.wallets[currency]?.difference, `wallet ${currency}`).toBe('0');
    expect(report.wallets[currency]?.held, `held ${currency}`).toBe('0');
  }
  // The chaos really happened.
  expect(report.kills).toBeGreaterThanOrEqual(4);
  expect(report.processRestarts).toBeGreaterThanOrEqual(report.kills);
  expect(report.redisRestarts).toBe(1);
  expect(report.flushes).toBe(1);
  expect(report.credentialRotations).toBe(1);
  expect(report.downtimes).toBe(1);
  expect(Object.keys(report.byProvider).sort()).toEqual(['druo', 'krayon', 'razorpayx', 'thai-gateway']);
  expect(Object.values(report.states).reduce((a, b) => a + b, 0)).toBe(PAYOUTS);
  expect((report.states.processed ?? 0) + (report.states.reversed ?? 0)).toBeGreaterThan(PAYOUTS / 2);
}, 300_000);
