import { z } from 'zod';

/**
 * The Thai gateway's wire shapes, from its "Create Withdraw" page and the assumptions in
 * ASSUMPTIONS.md. Responses are parsed with loose objects: a field added by the gateway must never
 * fail a payout. Requests are strict: we build them, so an unexpected key is our bug.
 */

/** `destinationType` values, as the page spells them (they are also our canonical methods). */
export const THAI_GATEWAY_DESTINATION_TYPES = ['bank_account', 'wallet'] as const;

/** The page's request limits, shared by the request schema and the adapter's `validate`. */
export const THAI_GATEWAY_LIMITS = {
  /** `referenceId`: "alphanumeric, underscores, hyphens, dots, 1-255 chars". */
  referenceIdPattern: /^[A-Za-z0-9_.-]{1,255}$/,
  /** `customerBankCode`: "3-digit Thai bank code (e.g., "004" for KBANK)". */
  bankCodePattern: /^\d{3}$/,
  /**
   * `customerBankAccountNumber`: the page gives no rule. Thai bank accounts are 10–15 digits and
   * wallet ids (PromptPay) 10–15 too; 6–20 digits leaves room without letting garbage through.
   */
  accountNumberPattern: /^\d{6,20}$/,
  /** `description`: "max 255 characters". */
  descriptionMaxLength: 255,
  /** `customerBankAccountName`: no limit on the page; 255 like every other text field there. */
  nameMaxLength: 255,
  /** `amount`: a decimal string; we always send exactly two decimals (satang). */
  amountPattern: /^\d+\.\d{2}$/,
} as const;

/**
 * `POST /api/v1/withdraws`. Keys are declared in the page's example order: the body is serialised
 * once from this shape, signed, and sent as those same bytes.
 */
export const createWithdrawRequestSchema = z.strictObject({
  amount: z.string().regex(THAI_GATEWAY_LIMITS.amountPattern),
  currency: z.literal('THB'),
  referenceId: z.string().regex(THAI_GATEWAY_LIMITS.referenceIdPattern),
  destinationType: z.enum(THAI_GATEWAY_DESTINATION_TYPES),
  customerBankAccountName: z.string().min(1).max(THAI_GATEWAY_LIMITS.nameMaxLength),
  customerBankAccountNumber: z.string().regex(THAI_GATEWAY_LIMITS.accountNumberPattern),
  customerBankCode: z.string().regex(THAI_GATEWAY_LIMITS.bankCodePattern),
  description: z.string().max(THAI_GATEWAY_LIMITS.descriptionMaxLength).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  idempotencyKey: z.string().min(1),
});
export type CreateWithdrawRequest = z.infer<typeof createWithdrawRequestSchema>;

/**
 * The withdraw object (the page's 201 example). `status` stays a free string: an unknown status is
 * mapped to "still in progress" by status.ts, never rejected here. `failureReason` is not on the
 * page: assumed, optional (ASSUMPTIONS.md).
 */
export const withdrawSchema = z.looseObject({
  id: z.string().min(1),
  amount: z.string(),
  currency: z.string(),
  status: z.string().min(1),
  referenceId: z.string().nullish(),
  destinationType: z.string().nullish(),
  /** Masked by the gateway, `1234****7890`. */
  bankAccountNumber: z.string().nullish(),
  bankAccountName: z.string().nullish(),
  bankCode: z.string().nullish(),
  destinationId: z.string().nullish(),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  paidAt: z.string().nullish(),
  canceledAt: z.string().nullish(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  failureReason: z.string().nullish(),
});
export type ThaiGatewayWithdraw = z.infer<typeof withdrawSchema>;

/** Every success answer wraps its payload: `{success: true, data: …}`. */
export const withdrawResponseSchema = z.looseObject({ success: z.literal(true), data: withdrawSchema });

/** `GET /api/v1/withdraws?referenceId=…` (assumed): `{success: true, data: [withdraw, …]}`. */
export const withdrawListResponseSchema = z.looseObject({ success: z.literal(true), data: z.array(withdrawSchema) });

/** Every failing answer: `{success: false, error: {code, message, metadata: {field}}}`. */
export const errorResponseSchema = z.looseObject({
  success: z.literal(false),
  error: z.looseObject({
    code: z.string().min(1),
    message: z.string().nullish(),
    metadata: z.looseObject({ field: z.string().nullish() }).nullish(),
  }),
});

/** A webhook delivery (assumed, ASSUMPTIONS.md): `{id: "evt_…", type: "withdraw.<status>", createdAt, data}`. */
export const webhookEventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  createdAt: z.string().nullish(),
  data: withdrawSchema,
});
