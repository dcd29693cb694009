import { fromMajorString, must } from '@payouts/core';
import { fromThaiGatewayAmount, type ThaiGatewayAmountUnit } from '@payouts/providers';
import { z } from 'zod';

/*
 * The Thai gateway's wire shapes, from its "Create Withdraw" page and the
 * assumptions in packages/providers/src/thai-gateway/ASSUMPTIONS.md. The simulator validates what
 * the real API validates, so an adapter bug shows up here and not in production.
 */

export const DESTINATION_TYPES = ['bank_account', 'wallet'] as const;

/**
 * `pending` and `processing` are documented; the rest are assumed (the withdraw object has
 * `paidAt` and `canceledAt`; `reversed` is a completed withdraw returned by the bank).
 */
export const WITHDRAW_STATUSES = ['pending', 'processing', 'completed', 'failed', 'canceled', 'reversed'] as const;
export type WithdrawStatus = (typeof WITHDRAW_STATUSES)[number];

/** The page's error codes, plus NOT_FOUND and the fault answers (assumed). */
export type ThaiGatewayErrorCode =
  | 'VALIDATION_ERROR'
  | 'INVALID_AMOUNT'
  | 'INVALID_BANK_CODE'
  | 'INSUFFICIENT_BALANCE'
  | 'DUPLICATE_REFERENCE_ID'
  | 'INVALID_CREDENTIALS'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** Any plain decimal: what "a valid decimal number" means before the amount rules apply. */
const DECIMAL_PATTERN = /^\d+(\.\d+)?$/;
const AMOUNT_MESSAGE = 'amount must be a valid decimal number';

/**
 * Satang for an amount in baht ("1000.00" = 1000 THB = 100000 satang, the reading the adapter
 * chose for the page's contradictory example); null when it is not a positive amount with at most
 * two decimals that a balance can hold.
 */
export function toSatang(amount: string, unit: ThaiGatewayAmountUnit = 'baht'): number | null {
  if (!DECIMAL_PATTERN.test(amount)) return null;
  let satang: bigint;
  try {
    // The engine's own conversion, so sandbox and adapter read the string alike (THAI_GATEWAY_AMOUNT_UNIT).
    satang = unit === 'baht' ? fromMajorString(amount, 'THB') : fromThaiGatewayAmount(amount, unit);
  } catch {
    return null;
  }
  return satang > 0n && satang <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(satang) : null;
}

/**
 * Strict: an unknown field is an error (an assumption: the page lists every field the gateway
 * takes, and `merchantId`/`integrationId` come from the credentials, never from the body).
 */
export const createWithdrawSchema = z.strictObject({
  amount: z
    .string(AMOUNT_MESSAGE)
    .regex(DECIMAL_PATTERN, AMOUNT_MESSAGE)
    .refine((amount) => toSatang(amount) !== null, 'Amount must be greater than 0, with at most 2 decimals'),
  currency: z.literal('THB', 'currency must be THB').optional(),
  referenceId: z
    .string('referenceId must be a string')
    .regex(/^[A-Za-z0-9_.-]{1,255}$/, 'referenceId must be 1-255 letters, digits, underscores, hyphens or dots'),
  destinationType: z.enum(DESTINATION_TYPES, 'destinationType must be "bank_account" or "wallet"'),
  customerBankAccountName: z
    .string('customerBankAccountName must be a string')
    .min(1, 'customerBankAccountName must not be empty')
    .max(255, 'customerBankAccountName must be at most 255 characters'),
  customerBankAccountNumber: z
    .string('customerBankAccountNumber must be a string')
    .regex(/^\d{6,20}$/, 'customerBankAccountNumber must be 6 to 20 digits'),
  customerBankCode: z
    .string('Bank code must be a valid 3-digit Thai bank code')
    .regex(/^\d{3}$/, 'Bank code must be a valid 3-digit Thai bank code'),
  description: z.string().max(255, 'description must be at most 255 characters').nullable().optional(),
  metadata: z.record(z.string(), z.unknown(), 'metadata must be an object').nullable().optional(),
  idempotencyKey: z
    .string('idempotencyKey must be a string')
    .min(1, 'idempotencyKey must not be empty')
    .max(255, 'idempotencyKey must be at most 255 characters')
    .optional(),
});
export type CreateWithdrawRequest = z.infer<typeof createWithdrawSchema>;

export type ParseResult =
  | { readonly ok: true; readonly value: CreateWithdrawRequest; readonly satang: number }
  | {
      readonly ok: false;
      readonly code: ThaiGatewayErrorCode;
      readonly field: string | null;
      readonly message: string;
    };

/**
 * The first failing rule, named by its wire field, as the page's example reports one field. The
 * page's own example answers a non-decimal amount with VALIDATION_ERROR; INVALID_AMOUNT is kept for
 * a decimal that is not an amount (zero, three decimals), INVALID_BANK_CODE for any bad bank code.
 */
export function parseCreateWithdraw(body: unknown, unit: ThaiGatewayAmountUnit = 'baht'): ParseResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, code: 'VALIDATION_ERROR', field: null, message: 'Request body must be a JSON object' };
  }
  const parsed = createWithdrawSchema.safeParse(body);
  if (parsed.success) {
    const satang = toSatang(parsed.data.amount, unit);
    if (satang === null) {
      // Only in the `satang` reading: a decimal the schema accepts may still be a fraction of a satang.
      return { ok: false, code: 'INVALID_AMOUNT', field: 'amount', message: 'Amount must be a whole number of satang' };
    }
    return { ok: true, value: parsed.data, satang };
  }

  const issue = must(parsed.error.issues[0], 'an issue of a failed parse');
  if (issue.code === 'unrecognized_keys') {
    const field = issue.keys[0] ?? null;
    return { ok: false, code: 'VALIDATION_ERROR', field, message: `${field} is not allowed` };
  }
  const field = String(issue.path[0] ?? '');
  const value = (body as Record<string, unknown>)[field];
  if (value === undefined) return { ok: false, code: 'VALIDATION_ERROR', field, message: `${field} is required` };
  if (field === 'customerBankCode') return { ok: false, code: 'INVALID_BANK_CODE', field, message: issue.message };
  if (field === 'amount' && typeof value === 'string' && DECIMAL_PATTERN.test(value)) {
    return { ok: false, code: 'INVALID_AMOUNT', field, message: issue.message };
  }
  return { ok: false, code: 'VALIDATION_ERROR', field, message: issue.message };
}

/** The withdraw object, as the page's 201 example shows it, plus the assumed `failureReason`. */
export interface ThaiGatewayWithdraw {
  id: string;
  /** Baht with two decimals, as the adapter reads it. */
  amount: string;
  currency: 'THB';
  status: WithdrawStatus;
  referenceId: string;
  destinationType: (typeof DESTINATION_TYPES)[number];
  /** Masked: `1234****7890`. */
  bankAccountNumber: string;
  bankAccountName: string;
  bankCode: string;
  destinationId: null;
  description: string | null;
  metadata: Record<string, unknown> | null;
  paidAt: string | null;
  canceledAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Not on the page (assumed): why a withdraw failed or was reversed. */
  failureReason: string | null;
}
