import { createHash } from 'node:crypto';
import { canonicalJson, must } from '@payouts/core';
import { decideOutcome, type Outcome } from '../common/outcomes.ts';
import type { Persistent } from '../common/persistence.ts';
import type { AdminPayoutEntry, ForceStatusResult, ProviderSimulator } from '../common/provider.ts';
import { alphanumericId, randomDigits } from '../common/random.ts';
import { PayoutRegistry } from '../common/registry.ts';
import type { NextStep, ProviderRuntime } from '../common/runtime.ts';
import { feesFor } from './fees.ts';
import type { RazorpayXState } from './state.ts';
import { downtimeEvent, EVENT_FOR_STATUS, payoutEvent, type RazorpayXDowntime } from './webhooks.ts';
import {
  type ContactWire,
  type CreateContactRequest,
  type CreateFundAccountRequest,
  type CreatePayoutRequest,
  type FundAccountWire,
  PAYOUT_STATUSES,
  type PayoutStatus,
  type RazorpayXPayout,
  type SavedFundAccountWire,
  type StatusDetails,
  type UpdateContactRequest,
} from './wire.ts';

export interface RazorpayXCredentials {
  readonly keyId: string;
  readonly keySecret: string;
  /** The merchant's RazorpayX account number every payout must name (`account_number`). */
  readonly accountNumber: string;
  /** Signs the webhooks sent to the configured `webhookUrl` (`X-Razorpay-Signature`). */
  readonly webhookSecret: string;
}

interface PayoutRecord {
  readonly id: string;
  readonly payout: RazorpayXPayout;
  readonly idempotencyKey: string;
  /** Last four characters decide the outcome (docs/sandbox.md): fund account id or bank account number. */
  readonly accountRef: string;
  /** Decided when the payout is funded; null while it waits in the low-balance queue. */
  outcome: Outcome | null;
  /** Why a `fail` outcome fails (the beneficiary bank's rejection unless the rail said no). */
  failure?: StatusDetails;
  /** The pending automatic step, cancelled when an operator forces a transition. */
  cancelStep?: (() => void) | undefined;
  /** When the create arrived, in ms (`created_at` is whole seconds, as RazorpayX puts it): for latency measurements. */
  readonly receivedAtMs?: number | undefined;
}

interface IdempotencyEntry {
  readonly fingerprint: string;
  readonly payoutId: string;
  readonly expiresAt: number;
}

export type CreateResult =
  | { readonly kind: 'created'; readonly payout: RazorpayXPayout }
  | { readonly kind: 'replayed'; readonly payout: RazorpayXPayout }
  | { readonly kind: 'idempotency_conflict' }
  | { readonly kind: 'insufficient_balance' };

export interface ListFilter {
  referenceId?: string | undefined;
  status?: string | undefined;
  mode?: string | undefined;
  fundAccountId?: string | undefined;
  contactId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  skip: number;
  count: number;
}

/** What `drift` may change on a payout's record. */
export interface PayoutDrift {
  amount?: number | undefined;
  /** The fee without its tax, as our ledger counts it; the wire's `fees` is this plus `tax`. */
  fees?: number | undefined;
  tax?: number | undefined;
  utr?: string | undefined;
  status?: string | undefined;
}

/** A payout the engine never sent, as `holdForeign` takes it. */
export interface ForeignPayout {
  amount: number;
  reference_id?: string | undefined;
  notes?: Record<string, string> | undefined;
  status?: string | undefined;
  fees?: number | undefined;
  tax?: number | undefined;
  utr?: string | undefined;
  fund_account_id?: string | undefined;
  /** Unix seconds; now by default. */
  created_at?: number | undefined;
}
/** A create that RazorpayX answers with the existing record when every identifying detail matches. */
export type SavedResult<T> = { readonly kind: 'created' | 'existing'; readonly record: T };

export type FundAccountResult = SavedResult<SavedFundAccountWire> | { readonly kind: 'unknown_contact' };

export type CancelResult =
  | { readonly kind: 'cancelled'; readonly payout: RazorpayXPayout }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_queued' };

/** RazorpayX keeps an idempotency key for 7 days (its public docs). */
const IDEMPOTENCY_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const QUEUED_LOW_BALANCE: StatusDetails = {
  source: 'internal',
  reason: 'low_balance',
  description: 'Payout queued due to low balance',
};
const BANK_REJECTED: StatusDetails = {
  source: 'beneficiary_bank',
  reason: 'beneficiary_bank_rejected',
  description: 'Payout failed as the beneficiary bank rejected the transaction. Please retry after some time.',
};
/**
 * The beneficiary's bank does not take IMPS (RazorpayX's `imps_not_allowed`, the example reason of
 * status_details): test accounts ending in `0004` fail so on IMPS and are paid on any other mode.
 */
const IMPS_NOT_ALLOWED: StatusDetails = {
  source: 'beneficiary_bank',
  reason: 'imps_not_allowed',
  description: 'IMPS is not enabled on the beneficiary account. Please retry with NEFT or RTGS.',
};
/** The test account suffix whose bank refuses IMPS (docs/sandbox.md). */
const IMPS_REFUSED_SUFFIX = '0004';
const REVERSED: StatusDetails = {
  source: 'beneficiary_bank',
  reason: 'payout_reversed',
  description: 'Payout was reversed by the beneficiary bank. The amount and fees were credited back.',
};

/** Transitions an operator may force; everything else is refused so the simulator never goes backwards. */
const FORCEABLE: Record<PayoutStatus, readonly PayoutStatus[]> = {
  queued: ['processing', 'cancelled'],
  processing: ['processed', 'failed'],
  processed: ['reversed'],
  failed: [],
  reversed: [],
  cancelled: [],
};

/** Key order does not make two bodies different: canonical JSON, then a hash. */
function fingerprint(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * RazorpayX's side of a payout: one account balance, payouts, idempotency keys and the
 * low-balance queue. Every balance movement happens in the transition that causes it:
 * processing debits amount + fees, failed and reversed credit them back.
 */
export class RazorpayXSimulator implements ProviderSimulator, Persistent<RazorpayXState> {
  readonly id = 'razorpayx';
  private readonly payouts = new PayoutRegistry<PayoutRecord>();
  private readonly keys = new Map<string, IdempotencyEntry>();
  /** Payouts waiting for funds, oldest first. */
  private queue: PayoutRecord[] = [];
  /** Contacts and fund accounts, by id, and by the details that identify them (`identity`). */
  private readonly contacts = new Map<string, ContactWire>();
  private readonly fundAccounts = new Map<string, SavedFundAccountWire>();
  private readonly identities = new Map<string, string>();

  constructor(
    readonly runtime: ProviderRuntime,
    readonly credentials: RazorpayXCredentials,
  ) {}

  get balance(): number {
    return this.runtime.config.balance;
  }

  /** `body` is the request as received, for the idempotency fingerprint; `input` is it validated. */
  create(input: CreatePayoutRequest, idempotencyKey: string, body: unknown): CreateResult {
    const now = this.runtime.now();
    const bodyFingerprint = fingerprint(body);
    const known = this.keys.get(idempotencyKey);
    if (known && known.expiresAt > now) {
      if (known.fingerprint !== bodyFingerprint) return { kind: 'idempotency_conflict' };
      // As RazorpayX documents: a duplicate returns the current state of the first payout, not its first answer.
      return {
        kind: 'replayed',
        payout: this.view(must(this.payouts.get(known.payoutId), `replayed payout ${known.payoutId}`)),
      };
    }

    const cost = input.amount + feesFor(input.amount).total;
    const funded = this.balance >= cost;
    // No payout, so no key is remembered: a retry after a top-up may then succeed with the same key.
    if (!funded && !input.queue_if_low_balance) return { kind: 'insufficient_balance' };

    const record = { ...this.newRecord(input, idempotencyKey, Math.floor(now / 1000)), receivedAtMs: now };
    this.payouts.add(record);
    this.keys.set(idempotencyKey, {
      fingerprint: bodyFingerprint,
      payoutId: record.id,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
    });
    if (funded) {
      this.startProcessing(record);
    } else {
      record.payout.status = 'queued';
      record.payout.status_details = QUEUED_LOW_BALANCE;
      this.queue.push(record);
      this.emit(record);
    }
    return { kind: 'created', payout: this.view(record) };
  }

  /**
   * RazorpayX's "Create a Contact": a new contact unless name, email, contact, type and
   * reference_id all match an existing one, which is then answered instead (its docs).
   */
  createContact(input: CreateContactRequest): SavedResult<ContactWire> {
    const identity = contactIdentity(input);
    const known = this.identities.get(identity);
    const existing = known === undefined ? undefined : this.contacts.get(known);
    if (existing) return { kind: 'existing', record: structuredClone(existing) };
    const contact: ContactWire = {
      id: alphanumericId('cont_'),
      entity: 'contact',
      name: input.name,
      contact: input.contact ?? null,
      email: input.email ?? null,
      type: input.type ?? null,
      reference_id: input.reference_id ?? null,
      batch_id: null,
      active: true,
      notes: { ...input.notes },
      created_at: Math.floor(this.runtime.now() / 1000),
    };
    this.contacts.set(contact.id, contact);
    this.identities.set(identity, contact.id);
    return { kind: 'created', record: structuredClone(contact) };
  }

  /**
   * RazorpayX's "Update a Contact": the fields sent replace the contact's; a create with the new
   * details then answers this contact (and one with the old details makes a new one).
   */
  updateContact(id: string, input: UpdateContactRequest): ContactWire | null {
    const existing = this.contacts.get(id);
    if (!existing) return null;
    const updated: ContactWire = {
      ...existing,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.contact !== undefined ? { contact: input.contact } : {}),
      ...(input.type !== undefined ? { type: input.type } : {}),
      ...(input.reference_id !== undefined ? { reference_id: input.reference_id } : {}),
      ...(input.notes !== undefined ? { notes: { ...input.notes } } : {}),
    };
    this.identities.delete(contactIdentity(existing));
    this.contacts.set(id, updated);
    this.identities.set(contactIdentity(updated), id);
    return structuredClone(updated);
  }

  /**
   * RazorpayX's "Create a Fund Account": a new one unless the contact and the account details
   * (holder name, IFSC and number; or the VPA) all match an existing one, which is then answered.
   */
  createFundAccount(input: CreateFundAccountRequest): FundAccountResult {
    if (!this.contacts.has(input.contact_id)) return { kind: 'unknown_contact' };
    const details =
      input.account_type === 'vpa'
        ? [must(input.vpa, 'a vpa account').address]
        : (({ name, ifsc, account_number }) => [name, ifsc, account_number])(
            must(input.bank_account, 'a bank account'),
          );
    const identity = `fund_account\n${canonicalJson([input.contact_id, input.account_type, ...details])}`;
    const known = this.identities.get(identity);
    const existing = known === undefined ? undefined : this.fundAccounts.get(known);
    if (existing) return { kind: 'existing', record: structuredClone(existing) };
    const base = {
      id: alphanumericId('fa_'),
      entity: 'fund_account' as const,
      contact_id: input.contact_id,
      active: true as const,
      batch_id: null,
      created_at: Math.floor(this.runtime.now() / 1000),
    };
    let account: SavedFundAccountWire;
    if (input.account_type === 'vpa') {
      const address = must(input.vpa, 'a vpa account').address;
      const [username = '', handle = ''] = address.split('@');
      account = { ...base, account_type: 'vpa', vpa: { username, handle, address } };
    } else {
      const bank = must(input.bank_account, 'a bank account');
      account = {
        ...base,
        account_type: 'bank_account',
        bank_account: { ...bank, bank_name: `${bank.ifsc.slice(0, 4)} Bank`, notes: [] },
      };
    }
    this.fundAccounts.set(account.id, account);
    this.identities.set(identity, account.id);
    return { kind: 'created', record: structuredClone(account) };
  }

  /** Newest first, as RazorpayX lists ("Fetch All Contacts"). */
  listContacts(): ContactWire[] {
    return [...this.contacts.values()].reverse().map((c) => structuredClone(c));
  }

  /** Newest first, optionally for one contact ("Fetch All Fund Accounts"). */
  listFundAccounts(contactId?: string): SavedFundAccountWire[] {
    return [...this.fundAccounts.values()]
      .filter((f) => contactId === undefined || f.contact_id === contactId)
      .reverse()
      .map((f) => structuredClone(f));
  }

  get(id: string): RazorpayXPayout | undefined {
    const record = this.payouts.get(id);
    return record && this.view(record);
  }

  /**
   * `GET /v1/payouts`: newest first (by `created_at`, then by creation), every filter optional;
   * `from` and `to` are unix seconds, both inclusive.
   */
  list(filter: ListFilter): RazorpayXPayout[] {
    const matches = (p: RazorpayXPayout) =>
      (filter.referenceId === undefined || p.reference_id === filter.referenceId) &&
      (filter.status === undefined || p.status === filter.status) &&
      (filter.mode === undefined || p.mode === filter.mode) &&
      (filter.fundAccountId === undefined || p.fund_account_id === filter.fundAccountId) &&
      (filter.contactId === undefined || p.fund_account?.contact_id === filter.contactId) &&
      (filter.from === undefined || p.created_at >= filter.from) &&
      (filter.to === undefined || p.created_at <= filter.to);
    return this.payouts
      .newestFirst()
      .filter((r) => matches(r.payout))
      .sort((a, b) => b.payout.created_at - a.payout.created_at)
      .slice(filter.skip, filter.skip + filter.count)
      .map((r) => this.view(r));
  }

  /**
   * A drift, for tests of reconciliation: the payout's record changes as an operator says (its
   * amount, fees, tax, UTR or status) without any balance effect or webhook, as if the provider's
   * books and ours had come apart.
   */
  drift(id: string, change: PayoutDrift): ForceStatusResult {
    const record = this.payouts.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No payout ${id}.` };
    if (change.status !== undefined && !(PAYOUT_STATUSES as readonly string[]).includes(change.status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${change.status}".` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    const p = record.payout;
    if (change.amount !== undefined) p.amount = change.amount;
    // RazorpayX's `fees` includes the tax: a drift of either keeps that shape.
    if (change.fees !== undefined || change.tax !== undefined) {
      const tax = change.tax ?? p.tax ?? 0;
      const base = change.fees ?? (p.fees ?? 0) - (p.tax ?? 0);
      p.fees = base + tax;
      p.tax = tax;
    }
    if (change.utr !== undefined) p.utr = change.utr;
    if (change.status !== undefined) p.status = change.status as PayoutStatus;
    this.runtime.changed();
    return { ok: true, payout: this.view(record) };
  }

  /**
   * Payouts the engine never sent (made on the dashboard, by another system): held as given,
   * with no balance effect, no webhook and no automatic progress.
   */
  holdForeign(entries: readonly ForeignPayout[]): RazorpayXPayout[] {
    const now = Math.floor(this.runtime.now() / 1000);
    for (const e of entries) {
      if (e.status !== undefined && !(PAYOUT_STATUSES as readonly string[]).includes(e.status)) {
        // The admin router answers an error with a status below 500 as the caller's mistake.
        throw Object.assign(new Error(`Unknown status "${e.status}".`), { status: 400 });
      }
    }
    const made = entries.map((e) => {
      const fees = e.status === 'processed' || e.status === 'reversed' ? feesFor(e.amount) : null;
      const payout: RazorpayXPayout = {
        id: alphanumericId('pout_'),
        entity: 'payout',
        fund_account_id: e.fund_account_id ?? alphanumericId('fa_'),
        amount: e.amount,
        currency: 'INR',
        notes: { ...(e.notes ?? {}) },
        fees: e.fees ?? fees?.total ?? null,
        tax: e.tax ?? fees?.tax ?? null,
        status: (e.status ?? 'processed') as PayoutStatus,
        utr: e.utr ?? ((e.status ?? 'processed') === 'processed' ? `SBX${randomDigits(12)}` : null),
        mode: 'IMPS',
        purpose: 'payout',
        reference_id: e.reference_id ?? null,
        narration: null,
        batch_id: null,
        failure_reason: null,
        status_details: null,
        created_at: e.created_at ?? now,
        fee_type: '',
        error: { description: null, source: null, reason: null },
      };
      const record: PayoutRecord = {
        id: payout.id,
        payout,
        idempotencyKey: `foreign_${payout.id}`,
        accountRef: payout.fund_account_id,
        outcome: 'hold',
      };
      this.payouts.add(record);
      return this.view(record);
    });
    this.runtime.changed();
    return made;
  }

  cancel(id: string): CancelResult {
    const record = this.payouts.get(id);
    if (!record) return { kind: 'not_found' };
    if (record.payout.status !== 'queued') return { kind: 'not_queued' };
    this.markCancelled(record);
    return { kind: 'cancelled', payout: this.view(record) };
  }

  setBalance(amount: number): { balance: number; released: string[] } {
    this.runtime.config.balance = amount;
    const released = this.releaseQueue();
    return { balance: this.balance, released };
  }

  listPayouts(): AdminPayoutEntry[] {
    return this.payouts.all().map((r) => ({
      id: r.id,
      status: r.payout.status,
      reference: r.payout.reference_id,
      idempotency_key: r.idempotencyKey,
      amount: r.payout.amount,
      currency: r.payout.currency,
      created_at: r.payout.created_at,
      ...(r.receivedAtMs === undefined ? {} : { received_at_ms: r.receivedAtMs }),
      payout: this.view(r),
    }));
  }

  /**
   * An operator's transition, e.g. settling a `0003` payout. It replaces the automatic progress:
   * a payout forced to `processed` is not reversed later unless forced again.
   */
  forceStatus(id: string, status: string): ForceStatusResult {
    const record = this.payouts.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No payout ${id}.` };
    if (!(PAYOUT_STATUSES as readonly string[]).includes(status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${status}".` };
    }
    const from = record.payout.status;
    const to = status as PayoutStatus;
    if (!FORCEABLE[from].includes(to)) {
      return { ok: false, httpStatus: 409, code: 'invalid_transition', message: `Cannot go from ${from} to ${to}.` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    switch (to) {
      case 'processing': {
        if (!this.fund(record)) {
          return { ok: false, httpStatus: 409, code: 'insufficient_balance', message: 'The balance cannot fund it.' };
        }
        this.queue = this.queue.filter((r) => r !== record);
        break;
      }
      case 'cancelled':
        this.markCancelled(record);
        break;
      case 'processed':
        this.markProcessed(record);
        break;
      case 'failed':
        this.markFailed(record);
        break;
      case 'reversed':
        this.markReversed(record);
        break;
      case 'queued':
        throw new Error('no transition leads back to queued');
    }
    return { ok: true, payout: this.view(record) };
  }

  /**
   * The bank's UTR arriving after `processed`, or a corrected one: RazorpayX sends it as a
   * `payout.updated` webhook carrying the payout, and a lookup shows it from then on.
   */
  updateUtr(id: string, utr: string): ForceStatusResult {
    const record = this.payouts.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No payout ${id}.` };
    if (record.payout.status !== 'processed') {
      return {
        ok: false,
        httpStatus: 409,
        code: 'invalid_transition',
        message: `A UTR is given to a processed payout; this one is ${record.payout.status}.`,
      };
    }
    record.payout.utr = utr;
    if (this.runtime.webhooks.enabled) {
      this.runtime.webhooks.send(
        payoutEvent('payout.updated', this.view(record), this.credentials.webhookSecret, this.runtime.now()),
      );
    }
    return { ok: true, payout: this.view(record) };
  }

  /**
   * A downtime on one mode, told as RazorpayX tells it: a `payout.downtime.started` or
   * `payout.downtime.resolved` webhook (the sandbox itself keeps paying on that mode: the engine is
   * what must hold back).
   */
  announceDowntime(downtime: { id: string; mode: string; status: 'started' | 'resolved'; endsAt: number | null }): {
    sent: boolean;
    downtime: RazorpayXDowntime;
  } {
    const now = this.runtime.now();
    const entity: RazorpayXDowntime = {
      id: downtime.id,
      entity: 'payout.downtime',
      mode: downtime.mode,
      status: downtime.status,
      begin: Math.floor(now / 1000),
      end: downtime.status === 'resolved' ? Math.floor(now / 1000) : downtime.endsAt,
    };
    if (!this.runtime.webhooks.enabled) return { sent: false, downtime: entity };
    this.runtime.webhooks.send(downtimeEvent(entity, this.credentials.webhookSecret, now));
    return { sent: true, downtime: entity };
  }

  reset(): void {
    this.runtime.reset();
    this.payouts.clear();
    this.keys.clear();
    this.queue = [];
    this.contacts.clear();
    this.fundAccounts.clear();
    this.identities.clear();
  }

  snapshot(): RazorpayXState {
    return {
      payouts: this.payouts.snapshot(),
      idempotencyKeys: [...this.keys],
      contacts: [...this.contacts.values()],
      fundAccounts: [...this.fundAccounts.values()],
      identities: [...this.identities],
    };
  }

  restore(saved: RazorpayXState): void {
    this.payouts.restore(saved.payouts, (record) => this.runtime.advance(record, this.nextStep));
    this.payouts.assertKnown(
      saved.idempotencyKeys.map(([, entry]) => entry.payoutId),
      'an idempotency key',
    );
    for (const [key, entry] of saved.idempotencyKeys) this.keys.set(key, entry);
    for (const contact of saved.contacts) this.contacts.set(contact.id, contact);
    for (const account of saved.fundAccounts) this.fundAccounts.set(account.id, account);
    for (const [identity, id] of saved.identities) this.identities.set(identity, id);
    // Queued payouts joined the queue as they were created, and leaving it never reorders the rest.
    this.queue = this.payouts.all().filter((r) => r.payout.status === 'queued');
  }

  private newRecord(input: CreatePayoutRequest, idempotencyKey: string, createdAt: number): PayoutRecord {
    let fundAccountId: string;
    let fundAccount: FundAccountWire | undefined;
    let accountRef: string;
    if (input.fund_account) {
      fundAccountId = alphanumericId('fa_');
      const contactId = alphanumericId('cont_');
      fundAccount = {
        id: fundAccountId,
        entity: 'fund_account',
        contact_id: contactId,
        account_type: 'bank_account',
        bank_account: { ...input.fund_account.bank_account },
        contact: { ...input.fund_account.contact, id: contactId, entity: 'contact' },
        active: true,
        created_at: createdAt,
      };
      accountRef = input.fund_account.bank_account.account_number;
    } else {
      fundAccountId = must(input.fund_account_id, 'fund_account_id, required without fund_account');
      // A fund account created here is paid to its account (whose last digits decide the outcome);
      // an id it never issued is taken as a fund account made elsewhere (docs/sandbox.md).
      const saved = this.fundAccounts.get(fundAccountId);
      accountRef = saved?.bank_account?.account_number ?? saved?.vpa?.address ?? fundAccountId;
    }
    const payout: RazorpayXPayout = {
      id: alphanumericId('pout_'),
      entity: 'payout',
      fund_account_id: fundAccountId,
      ...(fundAccount ? { fund_account: fundAccount } : {}),
      amount: input.amount,
      currency: 'INR',
      notes: { ...input.notes },
      fees: null,
      tax: null,
      status: 'processing',
      utr: null,
      mode: input.mode,
      purpose: input.purpose,
      reference_id: input.reference_id ?? null,
      narration: input.narration ?? null,
      batch_id: null,
      failure_reason: null,
      status_details: null,
      created_at: createdAt,
      fee_type: '',
      error: { description: null, source: null, reason: null },
    };
    return { id: payout.id, payout, idempotencyKey, accountRef, outcome: null };
  }

  /** Debits amount + fees and moves to processing, or returns false when the balance cannot. */
  private fund(record: PayoutRecord): boolean {
    const fees = feesFor(record.payout.amount);
    const cost = record.payout.amount + fees.total;
    if (this.balance < cost) return false;
    this.runtime.config.balance -= cost;
    record.payout.fees = fees.total;
    record.payout.tax = fees.tax;
    record.payout.status = 'processing';
    record.payout.status_details = null;
    this.emit(record);
    if (record.accountRef.endsWith(IMPS_REFUSED_SUFFIX)) {
      const imps = record.payout.mode === 'IMPS';
      record.outcome = imps ? 'fail' : 'succeed';
      if (imps) record.failure = IMPS_NOT_ALLOWED;
    } else {
      record.outcome = decideOutcome(record.accountRef, this.runtime.config, this.runtime.deps.random);
    }
    this.runtime.advance(record, this.nextStep);
    return true;
  }

  private startProcessing(record: PayoutRecord): void {
    if (!this.fund(record)) throw new Error(`payout ${record.id} started without funds`);
  }

  /** processing → processed or failed, as decided when funded; processed → reversed for a reversal; `hold` stays. */
  private readonly nextStep: NextStep<PayoutRecord> = (record) => {
    const { outcome } = record;
    switch (record.payout.status) {
      case 'processing':
        if (outcome === 'fail') return () => this.markFailed(record);
        if (outcome === 'succeed' || outcome === 'reverse') return () => this.markProcessed(record);
        return null;
      case 'processed':
        return outcome === 'reverse' ? () => this.markReversed(record) : null;
      default:
        return null;
    }
  };

  /**
   * FIFO, but a payout the balance still cannot cover is skipped for the next one that fits
   * (RazorpayX's documented queue behaviour), so one large payout does not block many small ones.
   */
  private releaseQueue(): string[] {
    const released: string[] = [];
    this.queue = this.queue.filter((record) => {
      if (record.payout.status !== 'queued') return false;
      if (!this.fund(record)) return true;
      released.push(record.id);
      return false;
    });
    return released;
  }

  private markProcessed(record: PayoutRecord): void {
    record.payout.status = 'processed';
    record.payout.status_details = null;
    record.payout.utr = `SBX${randomDigits(12)}`;
    this.emit(record);
  }

  private markFailed(record: PayoutRecord): void {
    const details = record.failure ?? BANK_REJECTED;
    record.payout.status = 'failed';
    record.payout.status_details = details;
    record.payout.failure_reason = details.description;
    record.payout.error = {
      description: details.description,
      source: details.source,
      reason: details.reason,
    };
    this.emit(record);
    this.refund(record);
  }

  private markReversed(record: PayoutRecord): void {
    record.payout.status = 'reversed';
    record.payout.status_details = REVERSED;
    this.emit(record);
    this.refund(record);
  }

  private markCancelled(record: PayoutRecord): void {
    record.payout.status = 'cancelled';
    record.payout.status_details = null;
    this.queue = this.queue.filter((r) => r !== record);
  }

  /** Money coming back may fund the queue (RazorpayX releases queued payouts when funds arrive). */
  private refund(record: PayoutRecord): void {
    this.runtime.config.balance += record.payout.amount + (record.payout.fees ?? 0);
    this.releaseQueue();
  }

  /**
   * The webhook for the state the payout just reached, sent before any effect it has on other
   * payouts (a refund releasing the queue), so each payout's events follow its own transitions.
   */
  private emit(record: PayoutRecord): void {
    const type = EVENT_FOR_STATUS[record.payout.status];
    if (type === null || !this.runtime.webhooks.enabled) return;
    this.runtime.webhooks.send(
      payoutEvent(type, this.view(record), this.credentials.webhookSecret, this.runtime.now()),
    );
  }

  /** A copy, so an answer already serialised never changes under a later transition. */
  private view(record: PayoutRecord): RazorpayXPayout {
    return structuredClone(record.payout);
  }
}

/** The details that make two contact creates the same contact (RazorpayX answers the existing one). */
function contactIdentity(c: {
  name: string;
  email?: string | null;
  contact?: string | null;
  type?: string | null;
  reference_id?: string | null;
}): string {
  return `contact\n${canonicalJson([c.name, c.email ?? null, c.contact ?? null, c.type ?? null, c.reference_id ?? null])}`;
}
