import { randomBytes } from 'node:crypto';
import { toMajorString } from '@payouts/core';
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
import { feeFor } from './fees.ts';
import type { KrayonState } from './state.ts';
import { DEPOSIT_STATUSES, type DepositStatus, type KrayonDeposit, type ValidWithdrawal } from './wire.ts';

export interface KrayonCredentials {
  /** The `Authorization: Bearer <token>` every call must carry. */
  readonly apiToken: string;
  /**
   * `KRAYON_FEE_MODE`, the engine's setting: `on_top` (default) debits amount + fee and pays the
   * amount; `deducted` debits the amount and pays the amount less the fee (`net_amount`).
   */
  readonly feeMode?: 'on_top' | 'deducted';
}

/** The one organisation the sandbox simulates; `reference_id` is unique within it. */
export const SANDBOX_ORGANIZATION = 'org_sandbox';

interface WithdrawalRecord {
  readonly id: string;
  readonly deposit: KrayonDeposit;
  /** Paise, as debited from the balance (amount + fee) and credited back on FAILED / REVERSED. */
  readonly amount: number;
  readonly fee: number;
  /** `customer.account_number`: its last four characters decide the outcome (docs/sandbox.md). */
  readonly accountRef: string;
  /** Unix seconds, for the admin list. */
  readonly createdAt: number;
  readonly outcome: Outcome;
  /** The pending automatic step, cancelled when an operator forces a transition. */
  cancelStep?: (() => void) | undefined;
}

export type CreateResult =
  | { readonly kind: 'created'; readonly deposit: KrayonDeposit }
  | { readonly kind: 'duplicate_reference' }
  | { readonly kind: 'insufficient_balance' };

/** Transitions an operator may force; everything else is refused so the simulator never goes backwards. */
const FORCEABLE: Record<DepositStatus, readonly DepositStatus[]> = {
  PENDING: ['PROCESSING', 'COMPLETED', 'FAILED'],
  PROCESSING: ['COMPLETED', 'FAILED'],
  COMPLETED: ['REVERSED'],
  FAILED: [],
  REVERSED: [],
};

/** Paise → the number of rupees Krayon puts on a response (`500.5`), exact to the paisa. */
function rupees(paise: number): number {
  return Number(toMajorString(BigInt(paise), 'INR'));
}

/** `2023-05-02T17:01:22.809084Z`: the page's timestamps carry microseconds. */
function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/**
 * Krayon's side of a withdrawal: one organisation balance, withdrawals unique by `reference_id`,
 * and no idempotency key. No queue: a withdrawal the balance cannot cover is refused. The balance
 * is debited at create (amount + fee) and credited back on FAILED and REVERSED.
 * Progress: PENDING → PROCESSING → COMPLETED (→ REVERSED) or FAILED, one step per progressDelayMs.
 */
export class KrayonSimulator implements ProviderSimulator, Persistent<KrayonState> {
  readonly id = 'krayon';
  private readonly withdrawals = new PayoutRegistry<WithdrawalRecord>();
  private readonly byReference = new Map<string, string>();

  constructor(
    readonly runtime: ProviderRuntime,
    readonly credentials: KrayonCredentials,
  ) {}

  get balance(): number {
    return this.runtime.config.balance;
  }

  create(input: ValidWithdrawal): CreateResult {
    const { request } = input;
    // Unique per organisation, even for the very same body: there is no idempotent replay.
    if (this.byReference.has(request.reference_id)) return { kind: 'duplicate_reference' };
    const fee = feeFor(input.amount);
    const deducted = this.credentials.feeMode === 'deducted';
    const cost = deducted ? input.amount : input.amount + fee;
    if (this.balance < cost) return { kind: 'insufficient_balance' };

    const now = this.runtime.now();
    const id = randomBytes(16).toString('hex');
    const deposit: KrayonDeposit = {
      id,
      organization: SANDBOX_ORGANIZATION,
      status: 'PENDING',
      qr_code: '',
      customer_email: request.customer.email,
      customer_country: request.customer.country_code,
      reference_id: request.reference_id,
      created_at: isoMicros(now),
      payment_details: null,
      amount: rupees(input.amount),
      symbol: 'INR',
      type: 'WITHDRAWAL',
      payment_method: 'IMPS',
      description: request.description ?? null,
      return_url: '',
      webhook_url: '',
      currency: 'INR',
      redirect_url: '',
      payment_fee: rupees(fee),
      net_amount: rupees(deducted ? input.amount - fee : input.amount),
    };
    const record: WithdrawalRecord = {
      id,
      deposit,
      amount: input.amount,
      fee,
      accountRef: request.customer.account_number,
      createdAt: Math.floor(now / 1000),
      outcome: decideOutcome(request.customer.account_number, this.runtime.config, this.runtime.deps.random),
    };
    this.withdrawals.add(record);
    this.byReference.set(request.reference_id, id);
    this.runtime.config.balance -= cost;
    this.runtime.advance(record, this.nextStep);
    return { kind: 'created', deposit: this.view(record) };
  }

  get(id: string): KrayonDeposit | undefined {
    const record = this.withdrawals.get(id);
    return record && this.view(record);
  }

  /** Newest first; by reference when one is given (at most one, as references are unique). */
  list(filter: { referenceId?: string }): KrayonDeposit[] {
    return this.withdrawals
      .newestFirst()
      .filter((r) => filter.referenceId === undefined || r.deposit.reference_id === filter.referenceId)
      .map((r) => this.view(r));
  }

  /** Krayon queues nothing, so a new balance releases nothing. */
  setBalance(amount: number): { balance: number; released: string[] } {
    this.runtime.config.balance = amount;
    return { balance: this.balance, released: [] };
  }

  listPayouts(): AdminPayoutEntry[] {
    return this.withdrawals.all().map((r) => ({
      id: r.id,
      status: r.deposit.status,
      reference: r.deposit.reference_id,
      // No idempotency key exists at Krayon: duplicates are counted by reference.
      idempotency_key: null,
      amount: r.amount,
      currency: r.deposit.currency,
      created_at: r.createdAt,
      payout: this.view(r),
    }));
  }

  /**
   * An operator's transition, e.g. settling a `0003` withdrawal. It replaces the automatic
   * progress: a withdrawal forced to COMPLETED is not reversed later unless forced again.
   */
  forceStatus(id: string, status: string): ForceStatusResult {
    const record = this.withdrawals.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No withdrawal ${id}.` };
    if (!(DEPOSIT_STATUSES as readonly string[]).includes(status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${status}".` };
    }
    const from = record.deposit.status;
    const to = status as DepositStatus;
    if (!FORCEABLE[from].includes(to)) {
      return { ok: false, httpStatus: 409, code: 'invalid_transition', message: `Cannot go from ${from} to ${to}.` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    this.moveTo(record, to);
    return { ok: true, payout: this.view(record) };
  }

  /**
   * A drift, for tests of reconciliation: the withdrawal's record says another amount, fee or
   * status (any of the list, backwards too), with no balance effect: Krayon's books and ours come
   * apart. Amounts in paise; `net_amount` follows them under the fee mode. Krayon states no tax and
   * no UTR, so those cannot drift.
   */
  drift(id: string, change: DriftChange): ForceStatusResult {
    const record = this.withdrawals.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No withdrawal ${id}.` };
    const unstated = unstatedDrift('Krayon', change, ['amount', 'fees', 'status']);
    if (unstated) return unstated;
    if (change.status !== undefined && !(DEPOSIT_STATUSES as readonly string[]).includes(change.status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${change.status}".` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    const d = record.deposit;
    const amount = change.amount ?? Math.round(d.amount * 100);
    const fee = change.fees ?? Math.round(d.payment_fee * 100);
    d.amount = rupees(amount);
    d.payment_fee = rupees(fee);
    d.net_amount = rupees(this.credentials.feeMode === 'deducted' ? amount - fee : amount);
    if (change.status !== undefined) d.status = change.status as DepositStatus;
    this.runtime.changed();
    return { ok: true, payout: this.view(record) };
  }

  reset(): void {
    this.runtime.reset();
    this.withdrawals.clear();
    this.byReference.clear();
  }

  snapshot(): KrayonState {
    return { payouts: this.withdrawals.snapshot(), references: [...this.byReference] };
  }

  restore(saved: KrayonState): void {
    this.withdrawals.restore(saved.payouts, (record) => this.runtime.advance(record, this.nextStep));
    this.withdrawals.assertKnown(
      saved.references.map(([, id]) => id),
      'a reference',
    );
    for (const [reference, id] of saved.references) this.byReference.set(reference, id);
  }

  /** PENDING → PROCESSING, then the outcome, then REVERSED for a reversal, one step each; `hold` stays PROCESSING. */
  private readonly nextStep: NextStep<WithdrawalRecord> = (record) => {
    const { outcome } = record;
    switch (record.deposit.status) {
      case 'PENDING':
        return () => this.moveTo(record, 'PROCESSING');
      case 'PROCESSING':
        if (outcome === 'hold') return null;
        return () => this.moveTo(record, outcome === 'fail' ? 'FAILED' : 'COMPLETED');
      case 'COMPLETED':
        return outcome === 'reverse' ? () => this.moveTo(record, 'REVERSED') : null;
      default:
        return null;
    }
  };

  /** Every balance effect of a status lives here: the money comes back on FAILED and REVERSED. */
  private moveTo(record: WithdrawalRecord, status: DepositStatus): void {
    record.deposit.status = status;
    if (status === 'FAILED' || status === 'REVERSED') {
      this.runtime.config.balance += record.amount + (this.credentials.feeMode === 'deducted' ? 0 : record.fee);
    }
  }

  /** A copy, so an answer already serialised never changes under a later transition. */
  private view(record: WithdrawalRecord): KrayonDeposit {
    return structuredClone(record.deposit);
  }
}
