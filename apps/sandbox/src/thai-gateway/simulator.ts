import { randomUUID } from 'node:crypto';
import { maskAccountNumber, must } from '@payouts/core';
import { type ThaiGatewayAmountUnit, toThaiGatewayAmount } from '@payouts/providers';
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
import type { ThaiGatewayState } from './state.ts';
import { withdrawEvent } from './webhooks.ts';
import {
  type CreateWithdrawRequest,
  type ThaiGatewayWithdraw,
  WITHDRAW_STATUSES,
  type WithdrawStatus,
} from './wire.ts';

export interface ThaiGatewayCredentials {
  /** `X-API-Key`. */
  readonly apiKey: string;
  /** Signs every request (and, by assumption, every webhook) with HMAC-SHA256. */
  readonly apiSecret: string;
  /** How the amount string reads (`THAI_GATEWAY_AMOUNT_UNIT`, the engine's setting): baht by default. */
  readonly amountUnit?: ThaiGatewayAmountUnit;
}

interface WithdrawRecord {
  readonly id: string;
  readonly withdraw: ThaiGatewayWithdraw;
  /** The amount in satang, what the balance moves by. */
  readonly satang: number;
  /** The client's key; null when it sent none (the gateway's auto-generated key is never shown). */
  readonly idempotencyKey: string | null;
  /** Last four characters decide the outcome (docs/sandbox.md): `customerBankAccountNumber`. */
  readonly outcome: Outcome;
  /** The pending automatic step, cancelled when an operator forces a transition. */
  cancelStep?: (() => void) | undefined;
}

export type CreateResult =
  | { readonly kind: 'created'; readonly withdraw: ThaiGatewayWithdraw }
  | { readonly kind: 'replayed'; readonly withdraw: ThaiGatewayWithdraw }
  | { readonly kind: 'duplicate_reference' }
  | { readonly kind: 'insufficient_balance' };

const BANK_REJECTED = 'Beneficiary bank rejected the transfer';
const BANK_RETURNED = 'Transfer returned by the beneficiary bank';

/** Transitions an operator may force; everything else is refused so the simulator never goes backwards. */
const FORCEABLE: Record<WithdrawStatus, readonly WithdrawStatus[]> = {
  pending: ['processing', 'completed', 'failed', 'canceled'],
  processing: ['completed', 'failed'],
  completed: ['reversed'],
  failed: [],
  canceled: [],
  reversed: [],
};

/**
 * The gateway's side of a withdraw: one merchant balance in satang, withdraws, idempotency keys and
 * unique reference ids. There is no provider-side queue: a create the balance cannot cover is an
 * INSUFFICIENT_BALANCE error (ASSUMPTIONS.md #9). The amount is debited at create and credited back when the
 * withdraw fails, is canceled or is reversed; no fees are documented, so none are charged.
 */
export class ThaiGatewaySimulator implements ProviderSimulator, Persistent<ThaiGatewayState> {
  readonly id = 'thai-gateway';
  private readonly withdraws = new PayoutRegistry<WithdrawRecord>();
  private readonly keys = new Map<string, string>();
  private readonly references = new Map<string, string>();

  constructor(
    readonly runtime: ProviderRuntime,
    readonly credentials: ThaiGatewayCredentials,
  ) {}

  get balance(): number {
    return this.runtime.config.balance;
  }

  /**
   * The page: "If you make the same request twice with the same idempotencyKey, you'll receive the
   * same withdraw object", so a known key answers the first withdraw in its current state, whatever
   * the body. A new key with a known referenceId is a DUPLICATE_REFERENCE_ID.
   */
  create(input: CreateWithdrawRequest, satang: number): CreateResult {
    const key = input.idempotencyKey ?? null;
    const knownId = key === null ? undefined : this.keys.get(key);
    if (knownId !== undefined)
      return {
        kind: 'replayed',
        withdraw: this.view(must(this.withdraws.get(knownId), `replayed withdraw ${knownId}`)),
      };
    if (this.references.has(input.referenceId)) return { kind: 'duplicate_reference' };
    // Nothing is created, so no key is remembered: a retry after a top-up may succeed with it.
    if (this.balance < satang) return { kind: 'insufficient_balance' };

    const record = this.newRecord(input, satang, key);
    this.withdraws.add(record);
    if (key !== null) this.keys.set(key, record.id);
    this.references.set(input.referenceId, record.id);
    this.runtime.config.balance -= satang;
    this.runtime.advance(record, this.nextStep);
    return { kind: 'created', withdraw: this.view(record) };
  }

  get(id: string): ThaiGatewayWithdraw | undefined {
    const record = this.withdraws.get(id);
    return record && this.view(record);
  }

  /** Newest first; `referenceId` unique, so a filtered list has at most one withdraw. */
  list(filter: { referenceId?: string }): ThaiGatewayWithdraw[] {
    return this.withdraws
      .newestFirst()
      .filter((r) => filter.referenceId === undefined || r.withdraw.referenceId === filter.referenceId)
      .map((r) => this.view(r));
  }

  /** No queue to release: the balance only decides whether the next create fits. */
  setBalance(amount: number): { balance: number; released: string[] } {
    this.runtime.config.balance = amount;
    return { balance: this.balance, released: [] };
  }

  listPayouts(): AdminPayoutEntry[] {
    return this.withdraws.all().map((r) => ({
      id: r.id,
      status: r.withdraw.status,
      reference: r.withdraw.referenceId,
      idempotency_key: r.idempotencyKey,
      amount: r.satang,
      currency: r.withdraw.currency,
      created_at: Math.floor(Date.parse(r.withdraw.createdAt) / 1000),
      payout: this.view(r),
    }));
  }

  /**
   * An operator's transition, e.g. settling a `0003` withdraw. Forcing `processing` hands the
   * withdraw back to its automatic outcome; any other forced state replaces the automatic progress
   * (a withdraw forced to `completed` is not reversed later unless forced again).
   */
  forceStatus(id: string, status: string): ForceStatusResult {
    const record = this.withdraws.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No withdraw ${id}.` };
    if (!(WITHDRAW_STATUSES as readonly string[]).includes(status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${status}".` };
    }
    const from = record.withdraw.status;
    const to = status as WithdrawStatus;
    if (!FORCEABLE[from].includes(to)) {
      return { ok: false, httpStatus: 409, code: 'invalid_transition', message: `Cannot go from ${from} to ${to}.` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    switch (to) {
      case 'processing':
        this.setStatus(record, 'processing');
        this.runtime.advance(record, this.nextStep);
        break;
      case 'completed':
        this.markCompleted(record);
        break;
      case 'failed':
        this.markFailed(record);
        break;
      case 'canceled':
        this.markCanceled(record);
        break;
      case 'reversed':
        this.markReversed(record);
        break;
      case 'pending':
        throw new Error('no transition leads back to pending');
    }
    return { ok: true, payout: this.view(record) };
  }

  /**
   * A drift, for tests of reconciliation: the withdraw's record says another amount (satang, written
   * in the configured reading) or status, with no balance effect and no webhook. The gateway states
   * no fee, tax or UTR, so those cannot drift.
   */
  drift(id: string, change: DriftChange): ForceStatusResult {
    const record = this.withdraws.get(id);
    if (!record) return { ok: false, httpStatus: 404, code: 'not_found', message: `No withdraw ${id}.` };
    const unstated = unstatedDrift('The Thai gateway', change, ['amount', 'status']);
    if (unstated) return unstated;
    if (change.status !== undefined && !(WITHDRAW_STATUSES as readonly string[]).includes(change.status)) {
      return { ok: false, httpStatus: 400, code: 'invalid_status', message: `Unknown status "${change.status}".` };
    }
    record.cancelStep?.();
    record.cancelStep = undefined;
    const w = record.withdraw;
    if (change.amount !== undefined) {
      w.amount = toThaiGatewayAmount(BigInt(change.amount), this.credentials.amountUnit ?? 'baht');
    }
    if (change.status !== undefined) w.status = change.status as WithdrawStatus;
    w.updatedAt = this.isoNow();
    this.runtime.changed();
    return { ok: true, payout: this.view(record) };
  }

  reset(): void {
    this.runtime.reset();
    this.withdraws.clear();
    this.keys.clear();
    this.references.clear();
  }

  snapshot(): ThaiGatewayState {
    return { payouts: this.withdraws.snapshot(), idempotencyKeys: [...this.keys], references: [...this.references] };
  }

  restore(saved: ThaiGatewayState): void {
    this.withdraws.restore(saved.payouts, (record) => this.runtime.advance(record, this.nextStep));
    this.withdraws.assertKnown(
      saved.idempotencyKeys.map(([, id]) => id),
      'an idempotency key',
    );
    this.withdraws.assertKnown(
      saved.references.map(([, id]) => id),
      'a reference id',
    );
    for (const [key, id] of saved.idempotencyKeys) this.keys.set(key, id);
    for (const [reference, id] of saved.references) this.references.set(reference, id);
  }

  private newRecord(input: CreateWithdrawRequest, satang: number, idempotencyKey: string | null): WithdrawRecord {
    const now = this.isoNow();
    const withdraw: ThaiGatewayWithdraw = {
      id: randomUUID(),
      amount: toThaiGatewayAmount(BigInt(satang), this.credentials.amountUnit ?? 'baht'),
      currency: 'THB',
      status: 'pending',
      referenceId: input.referenceId,
      destinationType: input.destinationType,
      bankAccountNumber: must(maskAccountNumber(input.customerBankAccountNumber), 'the masked account number'),
      bankAccountName: input.customerBankAccountName,
      bankCode: input.customerBankCode,
      destinationId: null,
      description: input.description ?? null,
      metadata: input.metadata ?? null,
      paidAt: null,
      canceledAt: null,
      createdAt: now,
      updatedAt: now,
      failureReason: null,
    };
    const outcome = decideOutcome(input.customerBankAccountNumber, this.runtime.config, this.runtime.deps.random);
    return { id: withdraw.id, withdraw, satang, idempotencyKey, outcome };
  }

  /** pending → processing, then the decided outcome one step later, then reversed for a reversal; `hold` (0003) stays processing. */
  private readonly nextStep: NextStep<WithdrawRecord> = (record) => {
    const { outcome } = record;
    switch (record.withdraw.status) {
      case 'pending':
        return () => this.setStatus(record, 'processing');
      case 'processing':
        if (outcome === 'hold') return null;
        return outcome === 'fail' ? () => this.markFailed(record) : () => this.markCompleted(record);
      case 'completed':
        return outcome === 'reverse' ? () => this.markReversed(record) : null;
      default:
        return null;
    }
  };

  private markCompleted(record: WithdrawRecord): void {
    const at = this.isoNow();
    record.withdraw.paidAt = at;
    this.setStatus(record, 'completed', at);
  }

  private markFailed(record: WithdrawRecord): void {
    // The reason first: the status change sends the webhook, which should carry it.
    record.withdraw.failureReason = BANK_REJECTED;
    this.setStatus(record, 'failed');
    this.refund(record);
  }

  private markCanceled(record: WithdrawRecord): void {
    const at = this.isoNow();
    record.withdraw.canceledAt = at;
    this.setStatus(record, 'canceled', at);
    this.refund(record);
  }

  private markReversed(record: WithdrawRecord): void {
    // The reason first: the status change sends the webhook, which should carry it.
    record.withdraw.failureReason = BANK_RETURNED;
    this.setStatus(record, 'reversed');
    this.refund(record);
  }

  private setStatus(record: WithdrawRecord, status: WithdrawStatus, at = this.isoNow()): void {
    record.withdraw.status = status;
    record.withdraw.updatedAt = at;
    if (this.runtime.webhooks.enabled) {
      this.runtime.webhooks.send(withdrawEvent(this.view(record), this.credentials.apiSecret, this.runtime.now()));
    }
  }

  private refund(record: WithdrawRecord): void {
    this.runtime.config.balance += record.satang;
  }

  private isoNow(): string {
    return new Date(this.runtime.now()).toISOString();
  }

  /** A copy, so an answer already serialised never changes under a later transition. */
  private view(record: WithdrawRecord): ThaiGatewayWithdraw {
    return structuredClone(record.withdraw);
  }
}
