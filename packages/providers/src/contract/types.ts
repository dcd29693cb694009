import type { Currency, FieldIssue, ProviderId } from '@payouts/core';

/** What a provider can do. A capability not listed answers `unsupported`; the engine plans around it. */
export const CAPABILITIES = [
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
  'cancel',
  'webhooks',
  'balance',
  /** Create is idempotent at the provider (a key or a unique reference): safe to resubmit blindly. */
  'idempotent_submit',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The canonical beneficiary, as the public API accepts it. */
export interface Beneficiary {
  name?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  country?: string;
  account_number?: string;
  bank_code?: string;
  bank_name?: string;
  account_type?: string;
  address?: { line1?: string; line2?: string; city?: string; postal_code?: string; country?: string };
  provider_account_id?: string;
}

/** A payout as an adapter sees it: canonical fields only, money as bigint minor units. */
export interface CanonicalPayout {
  /** Our payout id (`po_…`). */
  id: string;
  amount: bigint;
  currency: Currency;
  method: string;
  purpose?: string | null;
  referenceId?: string | null;
  narration?: string | null;
  description?: string | null;
  beneficiary: Beneficiary;
  queueIfLowBalance: boolean;
  metadata?: Record<string, string> | null;
  /** Minted once at ingestion from our payout id; the same on every retry and replay. */
  idempotencyKey: string;
}

/**
 * A provider's status mapped to our vocabulary. Anything a provider says that is not explicitly
 * a success or a failure maps to `processing` (still in progress): we never guess an outcome.
 */
export type ProviderOutcome = 'queued' | 'processing' | 'processed' | 'failed' | 'rejected' | 'cancelled' | 'reversed';

export interface ProviderPayoutState {
  providerPayoutId: string;
  outcome: ProviderOutcome;
  /** The provider's own status string, kept for operators. */
  rawStatus: string;
  /** Fees excluding tax, and tax, in minor units of the payout's currency, when the provider says. */
  fees?: bigint | null;
  tax?: bigint | null;
  utr?: string | null;
  failure?: { code: string; message: string } | null;
  /** Set when the provider holds the payout because its own balance (our float) is short. */
  queuedReason?: 'provider_low_balance' | null;
}

/** A verified inbound webhook, translated. The engine confirms it by a lookup before moving money. */
export interface ProviderWebhookEvent {
  /** The provider's event id, for de-duplication. */
  eventId: string;
  eventType: string;
  providerPayoutId: string | null;
  /** Our reference as the provider echoes it back, when it does. */
  reference: string | null;
  state: ProviderPayoutState | null;
  /**
   * A downtime the provider announces (RazorpayX `payout.downtime.started|resolved`): its id
   * there, the methods it covers, and when it began and is expected to end.
   */
  downtime?: ProviderDowntimeNotice | null;
}

export interface ProviderDowntimeNotice {
  id: string;
  status: 'started' | 'resolved';
  modes: string[];
  startsAt: Date | null;
  endsAt: Date | null;
}

export interface ProviderBalance {
  currency: Currency;
  available: bigint;
}

/** `Id` is a shipped provider's id; test fixtures register providers the public API does not name. */
export interface ProviderAdapter<Id extends string = ProviderId> {
  readonly id: Id;
  readonly currencies: readonly Currency[];
  readonly capabilities: ReadonlySet<Capability>;
  /** Methods (`mode`, `payment_method`, …) the provider accepts, in our canonical spelling. */
  readonly methods: readonly string[];
  /**
   * What to hold on top of the amount for fees not known until the provider processes the payout:
   * at least the most this provider can charge for it (some charge a share of the amount).
   */
  feeReserve(payout: { currency: Currency; amount: bigint }): bigint;
  /** The provider's own request rules, reported against our canonical field paths. Pure. */
  validate(payout: CanonicalPayout): FieldIssue[];
  submit(payout: CanonicalPayout): Promise<ProviderPayoutState>;
  lookupById(providerPayoutId: string): Promise<ProviderPayoutState>;
  /** Finds the payout by our reference; `null` is a confirmed absence. */
  lookupByReference(payout: CanonicalPayout): Promise<ProviderPayoutState | null>;
  cancel(providerPayoutId: string): Promise<ProviderPayoutState>;
  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ProviderWebhookEvent;
  getBalance(): Promise<ProviderBalance[]>;
}

export type { FieldIssue };
