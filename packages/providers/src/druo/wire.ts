import { z } from 'zod';

/**
 * DRUO's wire shapes, from its "Create Payout" page and the
 * assumptions in ASSUMPTIONS.md beside this file (lookups, statuses, errors: the page is silent).
 * Responses are parsed with loose objects: DRUO adds fields over time and an unknown field must
 * never fail a payout. Requests are strict: we build them, so an unexpected key is our bug.
 */

/** Sent as the `DRUO-Version` header on every call: the version the page documents. */
export const DRUO_VERSION = '2021-11-22';

export const DRUO_CURRENCIES = ['USD', 'COP'] as const;

/** DRUO pays to pre-registered destination accounts only: one canonical method. */
export const DRUO_METHODS = ['bank_account'] as const;

/** The page's request limits, shared by the request schema and the adapter's `validate`. */
export const DRUO_LIMITS = {
  /** Minor units (cents, COP centavos): a positive integer. */
  minAmount: 1,
  /** `primary_reference` and `secondary_reference`: "This value cannot exceed 40 characters". */
  referenceMaxLength: 40,
  /** Not on the page; a conservative bound (ASSUMPTIONS.md). */
  descriptionMaxLength: 255,
  /** "up to 50 keys, with key names up to 40 characters long and values up to 500 characters long". */
  metadataMaxKeys: 50,
  metadataKeyMaxLength: 40,
  metadataValueMaxLength: 500,
  /**
   * The page's ids are `acc_` + a UUID; we accept `acc_` + 1–64 letters, digits and dashes so an
   * id DRUO issues in another format is not refused by us first.
   */
  accountIdPattern: /^acc_[A-Za-z0-9-]{1,64}$/,
} as const;

const metadataRequestSchema = z
  .record(z.string().min(1).max(DRUO_LIMITS.metadataKeyMaxLength), z.string().max(DRUO_LIMITS.metadataValueMaxLength))
  .refine((metadata) => Object.keys(metadata).length <= DRUO_LIMITS.metadataMaxKeys, {
    message: `at most ${DRUO_LIMITS.metadataMaxKeys} metadata keys`,
  });

/**
 * `POST /payouts/create`. `metadata` is sent as an object: the page types it "string" but shows
 * it as an object in its example response (ASSUMPTIONS.md).
 */
export const createPayoutRequestSchema = z.strictObject({
  tenant_id: z.string().min(1),
  amount: z.int().min(DRUO_LIMITS.minAmount),
  destination_account_id: z.string().regex(DRUO_LIMITS.accountIdPattern),
  currency: z.enum(DRUO_CURRENCIES),
  description: z.string().max(DRUO_LIMITS.descriptionMaxLength).optional(),
  primary_reference: z.string().min(1).max(DRUO_LIMITS.referenceMaxLength),
  secondary_reference: z.string().min(1).max(DRUO_LIMITS.referenceMaxLength).optional(),
  metadata: metadataRequestSchema.optional(),
});
export type CreatePayoutRequest = z.infer<typeof createPayoutRequestSchema>;

const uuidRefSchema = z.looseObject({ uuid: z.string() });

/** A fee field: integer minor units, null until DRUO has charged it (the page's PENDING example). */
const feeSchema = z.int().nonnegative().nullish();

/**
 * The Transaction object. `status` stays a free string: an unknown status is mapped to "still in
 * progress" by status.ts, never rejected here. `metadata` is typed "string" on the page but is an
 * object in its example response: both are read.
 */
export const payoutSchema = z.looseObject({
  uuid: z.string().min(1),
  code: z.string().nullish(),
  status: z.string().min(1),
  remarks: z.string().nullish(),
  tenant: uuidRefSchema.nullish(),
  creation_source: z.string().nullish(),
  destination_account: uuidRefSchema.nullish(),
  type: z.string().nullish(),
  amount: z.int().nonnegative(),
  currency: z.looseObject({ code: z.string().min(1) }),
  description: z.string().nullish(),
  primary_reference: z.string().nullish(),
  secondary_reference: z.string().nullish(),
  metadata: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
  decline_reason: z.string().nullish(),
  date_created_gmt: z.string().nullish(),
  date_updated_gmt: z.string().nullish(),
  net_amount: z.int().nullish(),
  fixed_fee: feeSchema,
  total_fee: feeSchema,
  variable_fee: feeSchema,
});
export type DruoPayout = z.infer<typeof payoutSchema>;

/** Every single-transaction answer wraps it: `{"payout": {...}}`, as the page's example shows. */
export const payoutEnvelopeSchema = z.looseObject({ payout: payoutSchema });

/** `GET /payouts?primary_reference=…` (assumed): `{"payouts": [...]}`, newest first. */
export const payoutListSchema = z.looseObject({ payouts: z.array(payoutSchema) });
export type DruoPayoutList = z.infer<typeof payoutListSchema>;

/** Every non-2xx answer (assumed format): `{"error": {"code", "message", "field"}}`. */
export const errorResponseSchema = z.looseObject({
  error: z.looseObject({
    code: z.string().min(1),
    message: z.string().nullish(),
    field: z.string().nullish(),
  }),
});
