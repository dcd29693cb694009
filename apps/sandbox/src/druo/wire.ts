import { must } from '@payouts/core';
import { z } from 'zod';

/*
 * DRUO's wire shapes, from its "Create Payout" page and the assumptions in
 * packages/providers/src/druo/ASSUMPTIONS.md (which this simulator and the adapter share). The
 * simulator validates what the page says DRUO validates, so an adapter bug shows up here and not
 * in production.
 */

/** The `DRUO-Version` header every call must carry (the page's curl example). */
export const DRUO_VERSION = '2021-11-22';
export const DRUO_VERSION_HEADER = 'DRUO-Version';

export const CURRENCIES = ['USD', 'COP'] as const;
export type DruoCurrency = (typeof CURRENCIES)[number];

/**
 * The statuses the simulator uses. The page shows PENDING and SUCCESSFUL and mentions declines;
 * PROCESSING, FAILED and REVERSED are assumed, and the adapter maps them (and a few synonyms).
 */
export const PAYOUT_STATUSES = ['PENDING', 'PROCESSING', 'SUCCESSFUL', 'FAILED', 'DECLINED', 'REVERSED'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** `acc_` + 1–64 letters, digits or dashes: the page's ids are `acc_` + a UUID. */
export const ACCOUNT_ID_PATTERN = /^acc_[A-Za-z0-9-]{1,64}$/;
const REFERENCE_MAX = 40;
const DESCRIPTION_MAX = 255;
const METADATA_MAX_KEYS = 50;
const METADATA_KEY_MAX = 40;
const METADATA_VALUE_MAX = 500;

const reference = (name: string) =>
  z.string(`The ${name} must be a string`).max(REFERENCE_MAX, `The ${name} cannot exceed 40 characters`);

/**
 * The page's metadata: "up to 50 keys, with key names up to 40 characters long and values up to
 * 500 characters long". Typed "string" on the page but an object in its example: an object here.
 */
const metadataSchema = z
  .record(
    z
      .string()
      .min(1, 'Metadata key names cannot be empty')
      .max(METADATA_KEY_MAX, 'Metadata key names cannot exceed 40 characters'),
    z.string('Metadata values must be strings').max(METADATA_VALUE_MAX, 'Metadata values cannot exceed 500 characters'),
    'The metadata must be an object of key-value pairs',
  )
  .refine(
    (metadata) => Object.keys(metadata).length <= METADATA_MAX_KEYS,
    'The metadata cannot have more than 50 keys',
  );

/**
 * `POST /payouts/create`. Strict: an unknown field is refused, so a misspelt field from the adapter
 * fails here rather than being silently dropped. `tenant_id` is compared with the configured DRUO
 * tenant in `parseCreatePayout`.
 */
export const createPayoutSchema = z.strictObject({
  tenant_id: z.string('The tenant id must be a string').min(1, 'The tenant id is required'),
  amount: z
    .number('The amount must be a positive integer in the smallest unit of the currency')
    .int('The amount must be a positive integer in the smallest unit of the currency')
    .min(1, 'The amount must be a positive integer in the smallest unit of the currency')
    .max(Number.MAX_SAFE_INTEGER, 'The amount is too large'),
  destination_account_id: z
    .string('The destination account id must be a string')
    .regex(ACCOUNT_ID_PATTERN, 'The destination account id must be a DRUO account id (acc_…)'),
  currency: z.enum(CURRENCIES, `The currency must be one of ${CURRENCIES.join(', ')}`),
  description: z
    .string('The description must be a string')
    .max(DESCRIPTION_MAX, 'The description cannot exceed 255 characters')
    .nullable()
    .optional(),
  primary_reference: reference('primary reference').nullable().optional(),
  secondary_reference: reference('secondary reference').nullable().optional(),
  metadata: metadataSchema.nullable().optional(),
});
export type CreatePayoutRequest = z.infer<typeof createPayoutSchema>;

export type ParseResult =
  | { readonly ok: true; readonly value: CreatePayoutRequest }
  | { readonly ok: false; readonly field: string | null; readonly message: string };

function valueAt(body: object, key: PropertyKey): unknown {
  return (body as Record<PropertyKey, unknown>)[key];
}

/** The first failing rule, named by its wire field: one error per answer. */
export function parseCreatePayout(body: unknown, tenantId: string): ParseResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, field: null, message: 'The request body must be a JSON object' };
  }
  const parsed = createPayoutSchema.safeParse(body);
  if (!parsed.success) {
    const issue = must(parsed.error.issues[0], 'an issue of a failed parse');
    if (issue.code === 'unrecognized_keys') {
      return { ok: false, field: issue.keys[0] ?? null, message: `Unknown field(s): ${issue.keys.join(', ')}` };
    }
    // A metadata key is the caller's own word: the field is `metadata`.
    const top = issue.path[0];
    const field = typeof top === 'string' ? top : null;
    if (field !== null && valueAt(body, field) === undefined) {
      return { ok: false, field, message: `The ${field.replaceAll('_', ' ')} field is required` };
    }
    return { ok: false, field, message: issue.message };
  }
  if (parsed.data.tenant_id !== tenantId) {
    return { ok: false, field: 'tenant_id', message: 'The tenant id does not match the authenticated merchant' };
  }
  return { ok: true, value: parsed.data };
}

/** The Transaction object, in the order of the page's field list; `{payout: …}` on the wire. */
export interface DruoTransaction {
  /** `trx_<uuid>`. */
  uuid: string;
  /** 10 upper-case letters and digits. */
  code: string;
  status: PayoutStatus;
  remarks: string | null;
  tenant: { uuid: string };
  creation_source: 'MERCHANT_API';
  destination_account: { uuid: string };
  type: 'PAYOUT';
  /** Minor units. */
  amount: number;
  currency: { code: DruoCurrency };
  description: string | null;
  primary_reference: string | null;
  secondary_reference: string | null;
  metadata: Record<string, string> | null;
  decline_reason: string | null;
  /** ISO 8601. */
  date_created_gmt: string;
  date_updated_gmt: string;
  /** amount + total_fee: what left the balance. Null on a decline (nothing charged). */
  net_amount: number | null;
  fixed_fee: number | null;
  total_fee: number | null;
  variable_fee: number | null;
}
