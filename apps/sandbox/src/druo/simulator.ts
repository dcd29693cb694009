import { randomBytes, randomUUID } from 'node:crypto';
import { decideOutcome, type Outcome } from '../common/outcomes.ts';
import type { Persistent } from '../common/persistence.ts';
import {
  type AdminPayoutEntry,
  type DriftChange,
  type ForceStatusResult,
  type ProviderSimulator,
  unstatedDrift,
} from '../common/provider.ts';
import { PayoutRegistry } from '../common/registry.ts';
import type { NextStep, ProviderRuntime } from '../common/runtime.ts';
import { feesFor } from './fees.ts';
import type { DruoState } from './state.ts';
import {
  type CreatePayoutRequest,
  CURRENCIES,
  type DruoCurrency,
  type DruoTransaction,
  PAYOUT_STATUSES,
  type PayoutStatus,
} from './wire.ts';

export interface DruoCredentials {
  /** `Authorization: Bearer <accessToken>`. */
  readonly accessToken: string;
  /** DRUO's originator tenant: every create must name it as `tenant_id`. */
  readonly tenantId: string;
}

interface PayoutRecord {
  readonly id: string;
  readonly payout: DruoTransaction;
  /** `destination_account_id`: its last four characters decide the outcome (docs/sandbox.md). */
  readonly accountRef: string;
  /** Decided when the payout is funded; null for a declined one. */
  outcome: Outcome | null;
  /** The pending automatic step, cancelled when an operator forces a transition. */
  cancelStep?: (() => void) | undefined;
}

/** The page's `remarks` / `decline_reason` example: our float at DRUO cannot fund the payout. */
export const INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS';
export const BANK_REJECTED = 'REJECTED_BY_BENEFICIARY_BANK';
export const RETURNED = 'RETURNED_BY_BENEFICIARY_BANK';

/** Transitions an operator may force; everything else is refused so the simulator never goes backwards. */
const FORCEABLE: Record<PayoutStatus, readonly PayoutStatus[]> = {
  PENDING: ['PROCESSING', 'SUCCESSFUL', 'FAILED'],
  PROCESSING: ['SUCCESSFUL', 'FAILED'],
  SUCCESSFUL: ['REVERSED'],
  FAILED: [],
  DECLINED: [],
  REVERSED: [],
};

const CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A transaction `code` like the page's `TXNMW9PCWE`: 10 upper-case letters and digits. */
function transactionCode(): string {
  let out = '';
  while (out.length < 10) {
    for (const byte of randomBytes(10)) {
      // 252 = 7 × 36: rejecting the top bytes keeps every character equally likely.
      if (byte < 252 && out.length < 10) out += CODE_ALPHABET[byte % 36];
    }
  }
  return out;
}

/**
 * DRUO's side of a payout: one balance per currency, transactions, and no idempotency at all (every
 * create is a new transaction, as the page documents no key). A create the balance cannot fund is
 * still a transaction, DECLINED with INSUFFICIENT_FUNDS, and moves no money. Every other balance
 * movement happens in the transition that causes it: the create debits amount + fee, FAILED and
 * REVERSED credit them back.
 */
export class DruoSimulator implements ProviderSimulator, Persistent<DruoState> {
  readonly id = 'druo';
  private readonly payouts = new PayoutRegistry<PayoutRecord>();
  private readonly balances = new Map<DruoCurrency, number>();

  constructor(
    readonly runtime: ProviderRuntime,
    readonly credentials: DruoCredentials,
  ) {
    this.fillBalances(runtime.config.balance);
  }

  /** The live balance of one currency, in minor units. */
  balanceOf(currency: DruoCurrency): number {
    return this.balances.get(currency) ?? 0;
  }

  /** Every currency's live balance. */
  allBalances(): Record<DruoCurrency, number> {
    return { USD: this.balanceOf('USD'), COP: this.balanceOf('COP') };
  }

  create(input: CreatePayoutRequest): DruoTransaction {
    const record = this.newRecord(input);
    this.payouts.add(record);
    const fees = feesFor(input.amount);
    const cost = input.amount + fees.total;
    if (this.balanceOf(input.currency) < cost) {
      // The page's remarks/decline_reason example. Final: nothing was debited, nothing will move.
      record.payout.status = 'DECLINED';
      record.payout.decline_reason = INSUFFICIENT_FUNDS;
      record.payout.remarks = INSUFFICIENT_FUNDS;
      return this.view(record);
    }
    this.balances.set(input.currency, this.balanceOf(input.currency) - cost);
    record.payout.fixed_fee = fees.fixed;
    record.payout.variable_fee = fees.variable;
    record.payout.total_fee = fees.total;
    record.payout.net_amount = cost;
    record.outcome = decideOutcome(record.accountRef, this.runtime.config, this.runtime.deps.random);
    this.runtime.advance(record, this.nextStep);
    return this.view(record);
  }

  get(uuid: string): DruoTransaction | undefined {
    const record = this.payouts.get(uuid);
    return record && this.view(record);
  }

  /** Newest first, filtered by either reference when given. */
  list(filter: { primaryReference?: string; secondaryReference?: string }): DruoTransaction[] {
    return this.payouts
      .newestFirst()
      .filter(
        (r) =>
          (filter.primaryReference === undefined || r.payout.primary_reference === filter.primaryReference) &&
          (filter.secondaryReference === undefined || r.payout.secondary_reference === filter.secondaryReference),
      )
      .map((r) => this.view(r));
  }

  /**
   * The admin API's single balance (`POST /_admin/druo/balance`, `PATCH config {balance}`) sets
   * every currency to that amount; `setCurrencyBalance` sets one. DRUO queues nothing (it
   * declines), so nothing is ever released.
   */
  setBalance(amount: number): { balance: number; released: string[]; balances: Record<DruoCurrency, number> } {
    this.runtime.config.balance = amount;
    this.fillBalances(amount);
    return { balance: amount, released: [], balances: this.allBalances() };
  }

  setCurrencyBalance(currency: DruoCurrency, amount: number): Record<DruoCurrency, number> {
    if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`invalid balance ${amount}`);
    this.balances.set(currency, amount);
    return this.allBalances();
  }

  /** DRUO has no idempotency key: `idempotency_key` is always null; `reference` is primary_reference. */
  listPayouts(): AdminPayoutEntry[] {
    return this.payouts.all().map((r) => ({
      id: r.id,
      status: r.payout.status,
      reference: r.payout.primary_reference,
      idempotency_key: null,
      amount: r.payout.amount,
      currency: r.payout.currency.code,
      created_at: Math.floor(Date.parse(r.payout.date_created_gmt) / 1000),
      payout: this.view(r),
    }));
  }

  /**
   * An operator's transition, e.g. settling a `0003` payout. It replaces the automatic progress:
   * a payout forced anywhere moves on only when forced again.
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
      case 'PROCESSING':
      case 'SUCCESSFUL':
        this.setStatus(record, to);
        break;
      case 'FAILED':
        this.markFailed(record);
        break;
      case 'REVERSED':
        this.markReversed(record);
        break;
      case 'PENDING':
      case 'DECLINED':
        throw new Error(`no transition leads back to ${to}`);
    }
    return { ok: true, payout: this.view(record) };
  }

  /**
   * A drift, for tests of reconciliation: the transaction says another amount, fee (`total_fee`,
   * all of it variable) or status, with no balance effect; `net_amount` follows (amount + fee).
   * Minor units of the transaction's currency. DRUO states no tax and no UTR, so those cannot drift.
   */
  drift(uuid: string, change: DriftChange): ForceStatusResult {
    const record = this.payouts.get(uuid);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No payout ${uuid}.` };
    const unstated = unstatedDrift('DRUO', change, ['amount', 'fees', 'status']);
    if (unstated) return unstated;
    if (change.status !== undefined && !(PAYOUT_STATUSES as readonly string[]).includes(change.status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${change.status}".` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    const p = record.payout;
    if (change.amount !== undefined) p.amount = change.amount;
    if (change.fees !== undefined) {
      p.fixed_fee = 0;
      p.variable_fee = change.fees;
      p.total_fee = change.fees;
    }
    if (p.net_amount !== null) p.net_amount = p.amount + (p.total_fee ?? 0);
    if (change.status !== undefined) p.status = change.status as PayoutStatus;
    this.runtime.changed();
    return { ok: true, payout: this.view(record) };
  }

  reset(): void {
    this.runtime.reset();
    this.payouts.clear();
    this.fillBalances(this.runtime.config.balance);
  }

  snapshot(): DruoState {
    return { payouts: this.payouts.snapshot(), balances: this.allBalances() };
  }

  restore(saved: DruoState): void {
    this.payouts.restore(saved.payouts, (record) => this.runtime.advance(record, this.nextStep));
    for (const currency of CURRENCIES) this.balances.set(currency, saved.balances[currency]);
  }

  private fillBalances(amount: number): void {
    for (const currency of CURRENCIES) this.balances.set(currency, amount);
  }

  private newRecord(input: CreatePayoutRequest): PayoutRecord {
    const now = new Date(this.runtime.now()).toISOString();
    const payout: DruoTransaction = {
      uuid: `trx_${randomUUID()}`,
      code: transactionCode(),
      status: 'PENDING',
      remarks: null,
      tenant: { uuid: input.tenant_id },
      creation_source: 'MERCHANT_API',
      destination_account: { uuid: input.destination_account_id },
      type: 'PAYOUT',
      amount: input.amount,
      currency: { code: input.currency },
      description: input.description ?? null,
      primary_reference: input.primary_reference ?? null,
      secondary_reference: input.secondary_reference ?? null,
      metadata: input.metadata ? { ...input.metadata } : null,
      decline_reason: null,
      date_created_gmt: now,
      date_updated_gmt: now,
      net_amount: null,
      fixed_fee: null,
      total_fee: null,
      variable_fee: null,
    };
    return { id: payout.uuid, payout, accountRef: input.destination_account_id, outcome: null };
  }

  /** PENDING → PROCESSING → SUCCESSFUL | FAILED, then REVERSED for a reversal; a hold stays PROCESSING. */
  private readonly nextStep: NextStep<PayoutRecord> = (record) => {
    const { outcome } = record;
    switch (record.payout.status) {
      case 'PENDING':
        return () => this.setStatus(record, 'PROCESSING');
      case 'PROCESSING':
        if (outcome === 'fail') return () => this.markFailed(record);
        if (outcome === 'succeed' || outcome === 'reverse') return () => this.setStatus(record, 'SUCCESSFUL');
        return null;
      case 'SUCCESSFUL':
        return outcome === 'reverse' ? () => this.markReversed(record) : null;
      default:
        return null;
    }
  };

  private setStatus(record: PayoutRecord, status: PayoutStatus): void {
    record.payout.status = status;
    record.payout.date_updated_gmt = new Date(this.runtime.now()).toISOString();
  }

  private markFailed(record: PayoutRecord): void {
    this.setStatus(record, 'FAILED');
    record.payout.remarks = BANK_REJECTED;
    this.refund(record);
  }

  private markReversed(record: PayoutRecord): void {
    this.setStatus(record, 'REVERSED');
    record.payout.remarks = RETURNED;
    this.refund(record);
  }

  /** Amount and fee back to the currency they left. */
  private refund(record: PayoutRecord): void {
    const currency = record.payout.currency.code;
    this.balances.set(currency, this.balanceOf(currency) + (record.payout.net_amount ?? 0));
  }

  /** A copy, so an answer already serialised never changes under a later transition. */
  private view(record: PayoutRecord): DruoTransaction {
    return structuredClone(record.payout);
  }
}
