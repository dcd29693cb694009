import { describe, expect, it } from 'vitest';
import type { ProviderOutcome } from './contract/index.ts';
import { DRUO_STATUSES, toOutcome as druoOutcome } from './druo/status.ts';
import { KRAYON_STATUSES, toOutcome as krayonOutcome } from './krayon/status.ts';
import { RAZORPAYX_STATUSES, toOutcome as razorpayxOutcome } from './razorpayx/status.ts';
import { THAI_GATEWAY_STATUSES, toOutcome as thaiOutcome } from './thai-gateway/status.ts';

/*
 * Each provider's status map checked against expectations written from the provider's own
 * documentation and its ASSUMPTIONS.md, grouped by outcome the way they state it, never copied from
 * status.ts: a wrong entry there, a misspelt status, or one the map lacks fails here.
 */

interface ProviderStatuses {
  readonly name: string;
  /** The statuses the map knows, and the map. */
  readonly known: readonly string[];
  toOutcome(status: string): ProviderOutcome;
  /** Outcome → the wire statuses that mean it. */
  readonly expected: Partial<Record<ProviderOutcome, readonly string[]>>;
  /** The statuses the provider's page itself shows, and those the sandbox's simulator sends. */
  readonly documented: readonly string[];
  readonly simulated: readonly string[];
  /** Spellings that are not statuses (wrong case, unknown words, object keys): never an outcome. */
  readonly unknown: readonly string[];
}

const PROTOTYPE_KEYS = ['', 'toString', '__proto__'];

const druo: ProviderStatuses = {
  name: 'DRUO',
  known: DRUO_STATUSES,
  toOutcome: druoOutcome,
  // ASSUMPTIONS.md, "Statuses": PENDING, PROCESSING, IN_PROGRESS → processing; SUCCESSFUL, COMPLETED →
  // processed; DECLINED, FAILED → failed; CANCELLED, CANCELED → cancelled; REVERSED, RETURNED → reversed.
  expected: {
    processing: ['PENDING', 'PROCESSING', 'IN_PROGRESS'],
    processed: ['SUCCESSFUL', 'COMPLETED'],
    failed: ['DECLINED', 'FAILED'],
    cancelled: ['CANCELLED', 'CANCELED'],
    reversed: ['REVERSED', 'RETURNED'],
  },
  // The page shows PENDING (the create example) and SUCCESSFUL (the field examples).
  documented: ['PENDING', 'SUCCESSFUL'],
  simulated: ['PENDING', 'PROCESSING', 'SUCCESSFUL', 'FAILED', 'DECLINED', 'REVERSED'],
  unknown: ['ON_HOLD', 'APPROVED', 'successful', 'Declined', ...PROTOTYPE_KEYS],
};

const krayon: ProviderStatuses = {
  name: 'Krayon',
  known: KRAYON_STATUSES,
  toOutcome: krayonOutcome,
  // ASSUMPTIONS.md, "Statuses": PENDING, PROCESSING, IN_PROGRESS → processing; COMPLETED, SUCCESS,
  // SUCCEEDED → processed; FAILED, DECLINED, ERROR → failed; REJECTED → rejected; CANCELLED, CANCELED,
  // EXPIRED → cancelled; REVERSED, REFUNDED → reversed. No low-balance queue: nothing is queued.
  expected: {
    processing: ['PENDING', 'PROCESSING', 'IN_PROGRESS'],
    processed: ['COMPLETED', 'SUCCESS', 'SUCCEEDED'],
    failed: ['FAILED', 'DECLINED', 'ERROR'],
    rejected: ['REJECTED'],
    cancelled: ['CANCELLED', 'CANCELED', 'EXPIRED'],
    reversed: ['REVERSED', 'REFUNDED'],
  },
  // The page's example response is PENDING, the only status it shows.
  documented: ['PENDING'],
  simulated: ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REVERSED'],
  unknown: ['ON_HOLD', 'completed', 'Failed', 'SETTLED', ...PROTOTYPE_KEYS],
};

const razorpayx: ProviderStatuses = {
  name: 'RazorpayX',
  known: RAZORPAYX_STATUSES,
  toOutcome: razorpayxOutcome,
  // RazorpayX's payout states: queued (low balance, waiting for funds); pending (approval workflow)
  // and scheduled come before the money moves; processed, then possibly reversed when the bank
  // returns it; rejected, cancelled and failed end it.
  expected: {
    queued: ['queued'],
    processing: ['pending', 'scheduled', 'processing'],
    processed: ['processed'],
    rejected: ['rejected'],
    cancelled: ['cancelled'],
    reversed: ['reversed'],
    failed: ['failed'],
  },
  // The page lists every state but scheduled and failed.
  documented: ['queued', 'pending', 'rejected', 'processing', 'processed', 'cancelled', 'reversed'],
  simulated: ['queued', 'processing', 'processed', 'failed', 'reversed', 'cancelled'],
  unknown: ['initiated', 'on_hold', 'PROCESSED', ...PROTOTYPE_KEYS],
};

const thaiGateway: ProviderStatuses = {
  name: 'Thai gateway',
  known: THAI_GATEWAY_STATUSES,
  toOutcome: thaiOutcome,
  // ASSUMPTIONS.md, 5: beyond pending/processing, completed (also paid, success) → processed; failed;
  // canceled/cancelled → cancelled; rejected; reversed/refunded → reversed (after completed).
  expected: {
    processing: ['pending', 'processing'],
    processed: ['completed', 'paid', 'success'],
    failed: ['failed'],
    cancelled: ['canceled', 'cancelled'],
    rejected: ['rejected'],
    reversed: ['reversed', 'refunded'],
  },
  // "withdraws typically start in pending status and progress to processing".
  documented: ['pending', 'processing'],
  simulated: ['pending', 'processing', 'completed', 'failed', 'canceled', 'reversed'],
  unknown: ['on_hold', 'settling', 'COMPLETED', ...PROTOTYPE_KEYS],
};

describe.each([druo, krayon, razorpayx, thaiGateway].map((provider) => [provider.name, provider] as const))(
  '%s status → outcome',
  (_name, provider) => {
    const expectedPairs = Object.entries(provider.expected).flatMap(([outcome, statuses]) =>
      statuses.map((status) => [status, outcome] as const),
    );

    it.each(expectedPairs)('%s → %s', (status, outcome) => {
      expect(provider.toOutcome(status)).toBe(outcome);
    });

    it('knows exactly the expected statuses: none missing, none extra', () => {
      expect([...provider.known].sort()).toEqual(expectedPairs.map(([status]) => status).sort());
    });

    it("maps every status the provider's page shows and every status the simulator sends", () => {
      for (const status of [...provider.documented, ...provider.simulated]) expect(provider.known).toContain(status);
    });

    it('maps to queued only what waits in a low-balance queue', () => {
      const queued = provider.known.filter((status) => provider.toOutcome(status) === 'queued');
      expect(queued).toEqual(provider.expected.queued ?? []);
    });

    it.each(provider.unknown)('an unknown status (%j) is still in progress, never an outcome', (status) => {
      expect(provider.toOutcome(status)).toBe('processing');
    });
  },
);
