import { z } from 'zod';
import { parseJsonBody } from '../contract/index.ts';

/**
 * Krayon Digital's wire shapes, from its "Generate Withdrawals (Pay-Out)" page, whose URL typo
 * (`https:/api…`) and invalid example JSON are read as ASSUMPTIONS.md says. A withdrawal is a
 * deposit request with `"type": "WITHDRAWAL"`. Responses are parsed with loose objects (an unknown
 * field must never fail a payout); requests are strict (we build them, so an unexpected key is our
 * bug). Everything the page leaves out is an assumption shared with the sandbox, listed in
 * ASSUMPTIONS.md.
 */

/** `payment_method` values. The page shows IMPS only, for INR. */
export const KRAYON_PAYMENT_METHODS = ['IMPS'] as const;
export type KrayonPaymentMethod = (typeof KRAYON_PAYMENT_METHODS)[number];

export const WITHDRAWAL_TYPE = 'WITHDRAWAL';

/** The request rules, shared by the request schema and the adapter's `validate`. */
export const KRAYON_LIMITS = {
  /** Paise. Not on the page: assumed ₹1, the usual IMPS minimum (ASSUMPTIONS.md). */
  minAmount: 100,
  descriptionMaxLength: 255,
  /** A decimal string of rupees, at most 2 decimals, as the page's `"500"`. */
  amountPattern: /^\d+(\.\d{1,2})?$/,
  /** IFSC: 4 letters (bank), a zero, 6 alphanumerics (branch). */
  ifscPattern: /^[A-Z]{4}0[A-Z0-9]{6}$/,
  /** The page's own `bank_code` ("KKBK00000000", 12 characters) is no IFSC; its form is accepted too. */
  pageBankCodePattern: /^[A-Z]{4}[0-9A-Z]{7,8}$/,
  /** Digits only, with the country code: the page sends `"919895270111"`. */
  phonePattern: /^\d{10,15}$/,
  /** Deliberately simple: one `@`, a dot in the domain, no spaces. */
  emailPattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  /** ISO 3166-1 alpha-2, as the page's `"IN"`. */
  countryPattern: /^[A-Z]{2}$/,
} as const;

export function isKrayonBankCode(value: string): boolean {
  return KRAYON_LIMITS.ifscPattern.test(value) || KRAYON_LIMITS.pageBankCodePattern.test(value);
}

const nonEmpty = z.string().min(1);

/** `POST /main/api/v1/deposits` with `type: WITHDRAWAL`, field for field as the page's example. */
export const createWithdrawalRequestSchema = z.strictObject({
  amount: z.string().regex(KRAYON_LIMITS.amountPattern),
  reference_id: nonEmpty,
  description: z.string().max(KRAYON_LIMITS.descriptionMaxLength).optional(),
  currency: z.literal('INR'),
  customer: z.strictObject({
    reference_id: nonEmpty,
    country_code: z.string().regex(KRAYON_LIMITS.countryPattern),
    email: z.string().regex(KRAYON_LIMITS.emailPattern),
    first_name: nonEmpty,
    last_name: nonEmpty,
    phone: z.string().regex(KRAYON_LIMITS.phonePattern),
    account_number: nonEmpty,
  }),
  billing_address: z.strictObject({
    country_code: z.string().regex(KRAYON_LIMITS.countryPattern),
    address_line1: nonEmpty,
  }),
  additional_parameters: z.strictObject({
    bank_code: z.string().refine(isKrayonBankCode, 'must be an IFSC or the page form of a bank code'),
    /** "non mandatory", says the page. */
    bank_name: nonEmpty.optional(),
  }),
  payment_method: z.enum(KRAYON_PAYMENT_METHODS),
  type: z.literal(WITHDRAWAL_TYPE),
});
export type CreateWithdrawalRequest = z.infer<typeof createWithdrawalRequestSchema>;

/** A major-unit number we can turn into paise exactly: never negative, at most 2 decimals, no exponent. */
const majorAmount = z
  .number()
  .nonnegative()
  .refine((n) => KRAYON_LIMITS.amountPattern.test(String(n)), 'not an amount in rupees with at most 2 decimals');

/**
 * The deposit object (a withdrawal is a deposit of type WITHDRAWAL). `status` stays a free string:
 * status.ts maps an unknown one to "still in progress". `amount` is a number of major units here,
 * unlike the request's string. Only `payment_fee` is converted (to fees), so only it must be exact.
 */
export const depositSchema = z.looseObject({
  id: nonEmpty,
  organization: z.string().nullish(),
  status: nonEmpty,
  qr_code: z.string().nullish(),
  customer_email: z.string().nullish(),
  customer_country: z.string().nullish(),
  reference_id: z.string().nullish(),
  created_at: z.string().nullish(),
  payment_details: z.unknown().optional(),
  amount: z.number().nonnegative(),
  symbol: z.string().nullish(),
  type: z.string().nullish(),
  payment_method: z.string().nullish(),
  description: z.string().nullish(),
  return_url: z.string().nullish(),
  webhook_url: z.string().nullish(),
  currency: z.string().nullish(),
  redirect_url: z.string().nullish(),
  payment_fee: majorAmount.nullish(),
  net_amount: z.number().nullish(),
});
export type KrayonDeposit = z.infer<typeof depositSchema>;

/** Create and lookup by id answer `{data: {...}}`. */
export const depositResponseSchema = z.looseObject({ data: depositSchema });

/** The lookup by reference (assumed) answers `{data: [...]}`; an empty list is a confirmed absence. */
export const depositListResponseSchema = z.looseObject({ data: z.array(depositSchema) });

/** Every non-2xx answer (assumed format): `{error: {code, message, field}}`; `field` is a wire path. */
export const errorResponseSchema = z.looseObject({
  error: z.looseObject({
    code: nonEmpty,
    message: z.string().nullish(),
    field: z.string().nullish(),
  }),
});

/**
 * Raw text through a wire schema. Never throws: text that is not JSON (the page's own request
 * example, with its trailing comma, is not) fails like any other mismatch.
 */
export function parseWire<S extends z.ZodType>(schema: S, text: string): z.ZodSafeParseResult<z.infer<S>> {
  return schema.safeParse(parseJsonBody(text));
}
