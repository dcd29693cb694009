import { fromMajorString, must } from '@payouts/core';
import { z } from 'zod';

/*
 * Krayon Digital's wire shapes, from its "Generate Withdrawals (Pay-Out)" page. Where
 * the page is silent the simulator follows the assumptions in
 * packages/providers/src/krayon/ASSUMPTIONS.md, the same ones the engine's adapter makes.
 */

export const DEPOSIT_STATUSES = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REVERSED'] as const;
export type DepositStatus = (typeof DEPOSIT_STATUSES)[number];

/** Paise: ₹1, the assumed minimum. */
export const MIN_AMOUNT = 100;
const AMOUNT_PATTERN = /^\d+(\.\d{1,2})?$/;
const IFSC_PATTERN = /^[A-Z]{4}0[A-Z0-9]{6}$/;
/** The page's own `bank_code` ("KKBK00000000") is no IFSC; its form is accepted too. */
const PAGE_BANK_CODE_PATTERN = /^[A-Z]{4}[0-9A-Z]{7,8}$/;
const PHONE_PATTERN = /^\d{10,15}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const COUNTRY_PATTERN = /^[A-Z]{2}$/;

const requiredString = (field: string) => z.string(`${field} must be a string`).min(1, `${field} must not be empty`);
const country = (field: string) =>
  z.string(`${field} must be a string`).regex(COUNTRY_PATTERN, `${field} must be a two-letter country code, e.g. IN`);

/**
 * Unknown fields are ignored, not refused: the page does not say, and ignoring them is what a
 * lenient API does. Rules are checked in the order of the page's example; the first broken one is
 * reported, with its wire path as `field`.
 */
export const createWithdrawalSchema = z.object({
  amount: z
    .string('amount must be a string of rupees, e.g. "500"')
    .regex(AMOUNT_PATTERN, 'amount must be a positive decimal with at most 2 decimals'),
  reference_id: requiredString('reference_id'),
  description: z
    .string('description must be a string')
    .max(255, 'description may not be longer than 255 characters')
    .nullish(),
  currency: z.literal('INR', 'currency must be INR'),
  customer: z.object(
    {
      reference_id: requiredString('customer.reference_id'),
      country_code: country('customer.country_code'),
      email: z
        .string('customer.email must be a string')
        .regex(EMAIL_PATTERN, 'customer.email must be an email address'),
      first_name: requiredString('customer.first_name'),
      last_name: requiredString('customer.last_name'),
      phone: z.string('customer.phone must be a string').regex(PHONE_PATTERN, 'customer.phone must be 10 to 15 digits'),
      account_number: requiredString('customer.account_number'),
    },
    'customer must be an object',
  ),
  billing_address: z.object(
    {
      country_code: country('billing_address.country_code'),
      address_line1: requiredString('billing_address.address_line1'),
    },
    'billing_address must be an object',
  ),
  additional_parameters: z.object(
    {
      bank_code: z
        .string('additional_parameters.bank_code must be a string')
        .refine(
          (code) => IFSC_PATTERN.test(code) || PAGE_BANK_CODE_PATTERN.test(code),
          'additional_parameters.bank_code must be an IFSC',
        ),
      bank_name: z.string('additional_parameters.bank_name must be a string').nullish(),
    },
    'additional_parameters must be an object',
  ),
  payment_method: z.literal('IMPS', 'payment_method must be IMPS'),
  type: z.literal('WITHDRAWAL', 'type must be WITHDRAWAL: only withdrawals are simulated'),
});
export type CreateWithdrawalRequest = z.infer<typeof createWithdrawalSchema>;

/** A validated withdrawal, with its amount in paise. */
export interface ValidWithdrawal {
  readonly request: CreateWithdrawalRequest;
  readonly amount: number;
}

export type ParseResult =
  | { readonly ok: true; readonly value: ValidWithdrawal }
  | { readonly ok: false; readonly field: string | null; readonly message: string };

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = body;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export function parseCreateWithdrawal(body: unknown): ParseResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, field: null, message: 'The request body must be a JSON object' };
  }
  const parsed = createWithdrawalSchema.safeParse(body);
  if (!parsed.success) {
    const issue = must(parsed.error.issues[0], 'an issue of a failed parse');
    const field = issue.path.join('.');
    if (valueAt(body, issue.path) === undefined) return { ok: false, field, message: `${field} is required` };
    return { ok: false, field, message: issue.message };
  }
  const paise = fromMajorString(parsed.data.amount, 'INR');
  if (paise < BigInt(MIN_AMOUNT)) return { ok: false, field: 'amount', message: 'amount must be at least 1.00' };
  if (paise > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, field: 'amount', message: 'amount is too large' };
  return { ok: true, value: { request: parsed.data, amount: Number(paise) } };
}

/** The deposit object as the page's response shows it (a withdrawal is a deposit of type WITHDRAWAL). */
export interface KrayonDeposit {
  id: string;
  organization: string;
  status: DepositStatus;
  qr_code: '';
  customer_email: string;
  customer_country: string;
  reference_id: string;
  /** ISO 8601 with microseconds, as the page's `2023-05-02T17:01:22.809084Z`. */
  created_at: string;
  payment_details: null;
  /** Rupees, a number (the request's amount is a string). */
  amount: number;
  symbol: 'INR';
  type: 'WITHDRAWAL';
  payment_method: 'IMPS';
  description: string | null;
  return_url: string;
  webhook_url: '';
  currency: 'INR';
  redirect_url: '';
  /** Rupees, charged on top of the amount. */
  payment_fee: number;
  /** Rupees that reach the customer: the amount (the fee is charged on top). */
  net_amount: number;
}
