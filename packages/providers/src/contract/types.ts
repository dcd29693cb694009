import type { Currency, FieldIssue, ProviderId } from '@payouts/core';

/** What a provider can do. A capability not listed answers `unsupported`; the engine plans around it. */
export const CAPABILITIES = [
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
  'cancel',
  'webhooks',
  'balance',
  /**
   * List the provider's payouts by creation time (newest first, paged): reconciliation reads a
   * window from it, and sees payouts at the provider we never sent (`unknown_to_us`).
   */
  'list',
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
  /** A UPI address (VPA), from a saved beneficiary paid by UPI. */
  upi_address?: string;
}

/** A payout as an adapter sees it: canonical fields only, money as bigint minor units. */
export interface CanonicalPayout {
  /** Our payout id (`po_…`). */
  id: string;
  amount: bigint;
  currency: Currency;
  method: string;
  purpose?: string | null;
  /**
   * The purpose is one the tenant created with the provider itself (RazorpayX's custom purposes,
   * made on its Dashboard), so the provider's standard list does not bound it.
   */
  purposeRegistered?: boolean;
  referenceId?: string | null;
  narration?: string | null;
  description?: string | null;
  beneficiary: Beneficiary;
  queueIfLowBalance: boolean;
  metadata?: Record<string, string> | null;
  /** Minted once at ingestion from our payout id; the same on every retry and replay. */
  idempotencyKey: string;
  /** The saved beneficiary paid (`ben_…`), when the payout named one; its stable id at the provider. */
  beneficiaryId?: string | null;
  /** Who the beneficiary is to the tenant, when known: RazorpayX's contact `type` follows it. */
  beneficiaryType?: BeneficiaryKind | null;
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
  /**
   * What the provider says it is paying, read from its answer (not copied from our request), so
   * the reconciler can compare it with the payout before it acts on the answer. Absent when the
   * provider's answer does not state it.
   */
  stated?: ProviderStatedTerms | null;
}

/** The terms of a payout as the provider states them, in our units (minor units of `currency`). */
export interface ProviderStatedTerms {
  amount: bigint | null;
  currency: string | null;
  /** Our payout id as the provider echoes it back (a note, a reference field); null when it does not. */
  payoutId: string | null;
  /** The currency the provider charges its fees and tax in, when it says. */
  feeCurrency: string | null;
  /** When the provider created it (ms since epoch), when it says. */
  createdAt?: number | null;
  /**
   * Where the provider's unit is a configured guess (the Thai gateway's amount string): the stated
   * amount in every reading, so a reconciliation can show which one matches ours.
   */
  amountReadings?: Record<string, bigint | null>;
  /**
   * Where the provider's fee handling is a configured guess (Krayon: `KRAYON_FEE_MODE`): what its
   * amount and fee mean under each fee mode (paid to the beneficiary, taken from our balance), and
   * what it says it paid out (`net_amount`), so a reconciliation can show which reading its answer fits.
   */
  feeReadings?: {
    netAmount: bigint | null;
    readings: Record<FeeMode, { paidOut: bigint; debited: bigint }>;
  };
}

/** One page of a provider's payouts, newest first. */
export interface ProviderListPage {
  items: ProviderPayoutState[];
  /** Whether another page may follow (a full page). */
  hasMore: boolean;
}

/** Which payouts a list asks for: created in [from, to] (ms since epoch, inclusive), a page of `count` after `skip`. */
export interface ProviderListQuery {
  from: number;
  to: number;
  count: number;
  skip: number;
  /** Only this reference, where the provider filters by it. */
  reference?: string;
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

/**
 * Where a provider takes its fee: `on_top` (charged besides the amount, from our balance there: the
 * beneficiary gets the whole amount) or `deducted` (taken out of the amount: the beneficiary gets
 * the amount less the fee). The ledger posts by it, and the fee reserve follows it.
 */
export type FeeMode = 'on_top' | 'deducted';
export const FEE_MODES: readonly FeeMode[] = ['on_top', 'deducted'];
/** Who a saved beneficiary is to the tenant (RazorpayX's contact `type` follows it). */
export type BeneficiaryKind = 'employee' | 'vendor' | 'customer' | 'self';

/**
 * Registration of saved beneficiaries, for a provider that pays accounts registered with it
 * (RazorpayX: a contact, then a fund account per account). Both calls must be safe to repeat with
 * the same input: the provider answers the record it already has, so a registration interrupted by
 * a crash is resumed, never doubled. The engine stores what each returns before the next step.
 */
export interface BeneficiaryRegistrar {
  /** The beneficiary itself at the provider (RazorpayX contact id). */
  contact(input: { beneficiaryId: string; kind: BeneficiaryKind; beneficiary: Beneficiary }): Promise<string>;
  /** One account of it (RazorpayX fund account id), for payouts by `method`. */
  account(input: { contactId: string; beneficiary: Beneficiary; method: string }): Promise<string>;
  /**
   * The contact given the beneficiary's contact details as they are now (RazorpayX `PATCH
   * /v1/contacts/{id}`): safe to repeat, it sets the same values again.
   */
  updateContact(input: { contactId: string; kind: BeneficiaryKind; details: ContactDetails }): Promise<void>;
}

/** A saved beneficiary's contact details, as its provider-side contact holds them. */
export interface ContactDetails {
  name: string;
  email: string | null;
  phone: string | null;
}

/** `Id` is a shipped provider's id; test fixtures register providers the public API does not name. */
export interface ProviderAdapter<Id extends string = ProviderId> {
  readonly id: Id;
  readonly currencies: readonly Currency[];
  readonly capabilities: ReadonlySet<Capability>;
  /** Methods (`mode`, `payment_method`, …) the provider accepts, in our canonical spelling. */
  readonly methods: readonly string[];
  /** Where the provider takes its fee (on top of the amount by default). */
  readonly feeMode: FeeMode;
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
  /** A page of the provider's payouts created in a window, newest first (capability `list`). */
  list(query: ProviderListQuery): Promise<ProviderListPage>;
  /** Present when payouts to saved beneficiaries go to accounts registered at the provider. */
  readonly registrar?: BeneficiaryRegistrar;
}

export type { FieldIssue };
