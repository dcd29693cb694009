import type { Currency, ProviderId } from '@payouts/core';
import { type AccountRef, accounts } from './accounts.ts';

export type TransactionKind = 'funding' | 'provider_funding' | 'hold' | 'post' | 'void' | 'reverse';

export interface EntrySpec {
  account: AccountRef;
  /** Positive raises the account's balance, negative lowers it. */
  amount: bigint;
}

/** A balanced set of entries with the key that makes it happen at most once. */
export interface TransactionSpec {
  kind: TransactionKind;
  idempotencyKey: string;
  currency: Currency;
  payoutId?: string;
  tenantId?: string;
  metadata?: Record<string, unknown>;
  entries: EntrySpec[];
}

/** What the ledger needs to know of a payout. */
export interface PayoutMoney {
  id: string;
  tenantId: string;
  provider: ProviderId;
  currency: Currency;
  amount: bigint;
  /** Held on top of the amount until the real fees are known. */
  feeReserve: bigint;
  /**
   * Where the provider takes its fee: `on_top` (default) charges fees and tax to the wallet besides
   * the amount; `deducted` takes them out of the amount, so the provider pays out less and the
   * wallet is charged the amount only.
   */
  feeMode?: 'on_top' | 'deducted';
  /**
   * How many times the payout was replayed out of `failed` (0 or absent: never). Each replay holds
   * its money again, so its transactions carry `:replay<n>` after the kind: the first cycle's keys
   * (`po_…:hold`, `po_…:void`) stay as they were, and no cycle can collide with another.
   */
  replays?: number;
}

function spec(
  kind: TransactionKind,
  p: PayoutMoney,
  entries: EntrySpec[],
  metadata?: Record<string, unknown>,
): TransactionSpec {
  return {
    kind,
    idempotencyKey: p.replays ? `${p.id}:${kind}:replay${p.replays}` : `${p.id}:${kind}`,
    currency: p.currency,
    payoutId: p.id,
    tenantId: p.tenantId,
    metadata,
    entries: entries.filter((e) => e.amount !== 0n),
  };
}

export function holdAmount(p: PayoutMoney): bigint {
  return p.amount + p.feeReserve;
}

/** Accepting a payout moves amount + fee reserve from available to held. */
export function holdTransaction(p: PayoutMoney): TransactionSpec {
  const total = holdAmount(p);
  return spec('hold', p, [
    { account: accounts.available(p.tenantId, p.currency), amount: -total },
    { account: accounts.held(p.tenantId, p.currency), amount: total },
  ]);
}

/**
 * `processed`: the hold is consumed; the amount goes to the provider's clearing account, fees and
 * tax to their own accounts, and whatever the reserve did not need returns to available. If fees
 * ever exceed the reserve the difference comes from available: the provider took it, and the
 * ledger records what happened (`verifyLedger` would then report the overdraft).
 */
export function postTransaction(p: PayoutMoney, fees: bigint, tax: bigint): TransactionSpec {
  // Fees taken out of the amount: the provider pays out the rest, and the wallet pays the amount only.
  const deducted = p.feeMode === 'deducted' ? fees + tax : 0n;
  return spec(
    'post',
    p,
    [
      { account: accounts.held(p.tenantId, p.currency), amount: -holdAmount(p) },
      { account: accounts.clearing(p.provider, p.currency), amount: p.amount - deducted },
      { account: accounts.fees(p.provider, p.currency), amount: fees },
      { account: accounts.tax(p.provider, p.currency), amount: tax },
      { account: accounts.available(p.tenantId, p.currency), amount: p.feeReserve - fees - tax + deducted },
    ],
    { fees: fees.toString(), tax: tax.toString(), ...(p.feeMode === 'deducted' ? { fee_mode: 'deducted' } : {}) },
  );
}

/** `failed`, `cancelled`, `rejected`: the hold is released in full. */
export function voidTransaction(p: PayoutMoney): TransactionSpec {
  const total = holdAmount(p);
  return spec('void', p, [
    { account: accounts.held(p.tenantId, p.currency), amount: -total },
    { account: accounts.available(p.tenantId, p.currency), amount: total },
  ]);
}

/** `reversed` after `processed`: amount, fees and tax come back to the wallet by a new transaction. */
export function reverseTransaction(p: PayoutMoney, fees: bigint, tax: bigint): TransactionSpec {
  const deducted = p.feeMode === 'deducted' ? fees + tax : 0n;
  return spec(
    'reverse',
    p,
    [
      { account: accounts.clearing(p.provider, p.currency), amount: -(p.amount - deducted) },
      { account: accounts.fees(p.provider, p.currency), amount: -fees },
      { account: accounts.tax(p.provider, p.currency), amount: -tax },
      { account: accounts.available(p.tenantId, p.currency), amount: p.amount + fees + tax - deducted },
    ],
    { fees: fees.toString(), tax: tax.toString(), ...(p.feeMode === 'deducted' ? { fee_mode: 'deducted' } : {}) },
  );
}

/** An operator funds a wallet; idempotent on the operator's reference. */
/** A funding's ledger key: one per tenant and reference, whatever the amount or currency asked. */
export function fundingTransactionKey(tenantId: string, reference: string): string {
  return `funding:${tenantId}:${reference}`;
}

export function fundingTransaction(
  tenantId: string,
  currency: Currency,
  amount: bigint,
  reference: string,
): TransactionSpec {
  return {
    kind: 'funding',
    idempotencyKey: fundingTransactionKey(tenantId, reference),
    currency,
    tenantId,
    metadata: { reference, amount: amount.toString() },
    entries: [
      { account: accounts.externalFunding(currency), amount: -amount },
      { account: accounts.available(tenantId, currency), amount },
    ],
  };
}

/** A provider funding's ledger key: one per provider and reference, whatever the amount or currency asked. */
export function providerFundingTransactionKey(provider: ProviderId, reference: string): string {
  return `provider-funding:${provider}:${reference}`;
}

/**
 * An operator sent money to a provider (topped up our float there): external → float. Idempotent
 * on the operator's reference, like a wallet funding.
 */
export function providerFundingTransaction(
  provider: ProviderId,
  currency: Currency,
  amount: bigint,
  reference: string,
): TransactionSpec {
  return {
    kind: 'provider_funding',
    idempotencyKey: providerFundingTransactionKey(provider, reference),
    currency,
    metadata: { provider, reference, amount: amount.toString() },
    entries: [
      { account: accounts.externalFunding(currency), amount: -amount },
      { account: accounts.float(provider, currency), amount },
    ],
  };
}

export function assertBalanced(t: TransactionSpec): void {
  let sum = 0n;
  for (const e of t.entries) {
    if (e.account.currency !== t.currency)
      throw new Error(`${t.idempotencyKey}: entry in ${e.account.currency}, transaction in ${t.currency}`);
    sum += e.amount;
  }
  if (sum !== 0n) throw new Error(`${t.idempotencyKey}: entries sum to ${sum}, not zero`);
}
