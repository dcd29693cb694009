import type { Router } from 'express';
import type { ProviderRuntime } from './runtime.ts';

/**
 * One row of `GET /_admin/:provider/payouts`: a few provider-neutral fields so a test can count
 * payouts per reference or idempotency key on any provider, plus the provider's own wire object.
 */
export interface AdminPayoutEntry {
  readonly id: string;
  readonly status: string;
  readonly reference: string | null;
  readonly idempotency_key: string | null;
  readonly amount: number;
  readonly currency: string;
  /** Unix seconds, as the providers put it. */
  readonly created_at: number;
  /** When the create arrived, ms since the epoch (RazorpayX's payouts): what latency measurements read. */
  readonly received_at_ms?: number;
  readonly payout: unknown;
}

/** `POST /_admin/:provider/payouts/:id/drift`. Amounts in the provider's minor units. */
export interface DriftChange {
  amount?: number | undefined;
  fees?: number | undefined;
  tax?: number | undefined;
  utr?: string | undefined;
  status?: string | undefined;
}

/** One payout of `POST /_admin/:provider/foreign-payouts`. */
export interface ForeignPayoutInput {
  amount: number;
  reference_id?: string | undefined;
  notes?: Record<string, string> | undefined;
  status?: string | undefined;
  fees?: number | undefined;
  tax?: number | undefined;
  utr?: string | undefined;
  created_at?: number | undefined;
}

/**
 * A drift naming something the provider never states (Krayon and DRUO state no tax and no UTR, the
 * Thai gateway no fee either): refused, so a test cannot believe it made a drift the engine cannot see.
 */
export function unstatedDrift(
  provider: string,
  change: DriftChange,
  stated: readonly (keyof DriftChange)[],
): ForceStatusResult | null {
  const unstated = (Object.keys(change) as (keyof DriftChange)[]).filter(
    (k) => change[k] !== undefined && !stated.includes(k),
  );
  if (unstated.length === 0) return null;
  return {
    ok: false,
    httpStatus: 400,
    code: 'not_stated',
    message: `${provider} states no ${unstated.join(', ')} on a payout: only ${stated.join(', ')} can drift.`,
  };
}

export type ForceStatusResult =
  | { readonly ok: true; readonly payout: unknown }
  | { readonly ok: false; readonly httpStatus: 400 | 404 | 409; readonly code: string; readonly message: string };

/**
 * The contract each provider folder implements (`src/<provider>/`), driven by the admin API.
 * Kept free of HTTP so the simulator can be reasoned about (and tested) without a server.
 */
export interface ProviderSimulator {
  readonly id: string;
  readonly runtime: ProviderRuntime;
  /** Sets the account balance, then releases queued payouts it now covers, oldest first. */
  setBalance(amount: number): { balance: number; released: string[] };
  listPayouts(): AdminPayoutEntry[];
  /** Operator-forced transition, with the same balance effects as the automatic one. */
  forceStatus(id: string, status: string): ForceStatusResult;
  /**
   * A UTR the bank gives after the payout was processed, told as the provider tells it (RazorpayX:
   * a `payout.updated` webhook). Only providers that send such news implement it.
   */
  updateUtr?(id: string, utr: string): ForceStatusResult;
  /**
   * Changes a payout's record (amount, fees, tax, UTR, status) with no balance effect and no
   * webhook: the provider's books drift from ours, for reconciliation tests.
   */
  drift?(id: string, change: DriftChange): ForceStatusResult;
  /** Holds payouts the engine never sent (`unknown_to_us` in a reconciliation). */
  holdForeign?(entries: readonly ForeignPayoutInput[]): unknown[];
  /**
   * A downtime on one mode, told as the provider tells it (RazorpayX: `payout.downtime.*`
   * webhooks). Only providers that announce downtimes implement it.
   */
  announceDowntime?(downtime: { id: string; mode: string; status: 'started' | 'resolved'; endsAt: number | null }): {
    sent: boolean;
    downtime: unknown;
  };
  /** Forgets every payout and key, and restores the starting configuration. */
  reset(): void;
}

/**
 * What a provider folder hands the app: the simulator and its HTTP face, mounted at `/<id>`.
 * Built by the folder's registration (`defineSimulator`); the app mounts every one in `simulators.ts`.
 */
export interface ProviderMount<S extends ProviderSimulator = ProviderSimulator> {
  readonly simulator: S;
  /** The provider's own paths (e.g. `/v1/payouts`), relative to the mount point. */
  readonly router: Router;
}
