import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import {
  CURRENCIES,
  MAX_AMOUNT,
  PAYOUT_STATUSES,
  type PayoutStatus,
  PROVIDER_IDS,
  QUEUED_REASONS,
  TENANT_KEY_ROLES,
  unstorableText,
} from '@payouts/core';
import { BENEFICIARY_TYPES } from '@payouts/db';
import { z } from 'zod';

extendZodWithOpenApi(z);

/**
 * Request and response schemas of the public API (docs/api.md). These are the canonical rules; each
 * provider's own rules are applied on top by its adapter's `validate`. Objects are strict: an
 * unknown field is an error naming it, not silently dropped.
 */
/**
 * Postgres cannot store U+0000 or a lone surrogate. A JSON body holding one is refused before any
 * route runs (validation.ts); this refinement says the same for what arrives otherwise, a CSV cell.
 */
export const storable = (value: string, ctx: z.RefinementCtx) => {
  const message = unstorableText(value);
  if (message) ctx.addIssue({ code: 'custom', message });
};
export const text = (max: number) => z.string().trim().min(1).max(max).superRefine(storable);

export const addressSchema = z.strictObject({
  line1: text(200).optional(),
  line2: text(200).optional(),
  city: text(100).optional(),
  postal_code: text(20).optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .optional(),
});

/**
 * Who a beneficiary is to the tenant: a closed list, RazorpayX's contact types, so that a saved
 * beneficiary's type is also its contact's type there, and a routing rule can only name a type a
 * payout can have (a typo in a rule would otherwise match nothing, silently).
 */
export const beneficiaryTypeSchema = z
  .enum(BENEFICIARY_TYPES, { error: `must be one of ${BENEFICIARY_TYPES.join(', ')}` })
  .openapi({
    description:
      'Who the beneficiary is to you. Routing rules can match on it (`match.beneficiary_type`) and payout searches filter by it.',
    example: 'employee',
  });

export const beneficiarySchema = z
  .strictObject({
    type: beneficiaryTypeSchema.optional().openapi({
      description:
        'Who the beneficiary is to you (`employee`, `vendor`, `customer`, `self`); the payout keeps it as `beneficiary_type`. Optional; a payout without one matches no routing rule that names a `beneficiary_type`.',
    }),
    name: text(140).optional(),
    first_name: text(100).optional(),
    last_name: text(100).optional(),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9]{6,15}$/, 'must be 6 to 15 digits, optionally with a leading +')
      .optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
      .optional(),
    account_number: z
      .string()
      .regex(/^[A-Za-z0-9]{4,34}$/, 'must be 4 to 34 letters or digits')
      .optional(),
    bank_code: text(20).optional(),
    bank_name: text(100).optional(),
    account_type: text(30).optional(),
    address: addressSchema.optional(),
    provider_account_id: text(100).optional(),
  })
  .openapi('Beneficiary');

/**
 * An amount we accept (a payout, a batch row, a funding): integer minor units from 1 to
 * `MAX_AMOUNT` (10^15), so that no balance or total made of them leaves JSON's exact range.
 */
export const amountIn = () =>
  z
    .number({ error: 'must be an integer amount in minor units' })
    .positive('must be greater than zero')
    // Checked before `int`, which refuses numbers beyond 2^53 as not integers: a huge amount is
    // told it is too large, once.
    .max(MAX_AMOUNT, { message: `must be at most ${MAX_AMOUNT} minor units`, abort: true })
    .int('must be an integer amount in minor units');

/**
 * A balance as answered: an integer of minor units; the exact decimal string only if the stored
 * value is beyond JSON's exact integers (2^53 − 1), which nothing the API accepts can produce.
 */
export const balanceOut = () =>
  z.union([z.number().int(), z.string().regex(/^-?\d+$/)]).openapi({
    description:
      'Minor units. An integer; a string of the exact value only if the stored balance is beyond 2^53 − 1 (a database written before amounts were limited).',
  });

/** Metadata as every object takes it: string keys and values, at most 50 pairs. */
export const metadataSchema = () =>
  z
    .record(z.string().min(1).max(64).superRefine(storable), z.string().max(500).superRefine(storable))
    .refine((m) => Object.keys(m).length <= 50, 'may have at most 50 keys');

export const beneficiaryIdSchema = z
  .string()
  .regex(/^ben_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a beneficiary id (ben_…)')
  .openapi({
    description: 'A saved beneficiary (`ben_…`): its current account is paid.',
    example: 'ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7',
  });

/** How far ahead a payout or a run may be scheduled. */
export const MAX_SCHEDULE_DAYS = 90;

const RFC3339 = 'must be an RFC 3339 date-time with a time zone, e.g. 2026-01-31T18:30:00Z';

/**
 * Why a time cannot be a `scheduled_for`, or null: it must be strictly in the future and at most
 * MAX_SCHEDULE_DAYS ahead, judged against this server's clock when the request is read.
 */
export function scheduleTimeIssue(at: Date, now: number = Date.now()): string | null {
  if (at.getTime() <= now) return 'must be in the future';
  if (at.getTime() > now + MAX_SCHEDULE_DAYS * 24 * 3600_000) return `must be at most ${MAX_SCHEDULE_DAYS} days ahead`;
  return null;
}

/**
 * `scheduled_for` (docs/api.md#scheduled-payouts), read for its format only: its time
 * (`scheduleTimeIssue`) is judged by the route once a replay of an earlier request is ruled out,
 * since by then the time it named may have come.
 */
export const scheduledForFormat = z
  .string({ error: RFC3339 })
  .pipe(z.iso.datetime({ offset: true, error: RFC3339 }))
  .transform((v) => new Date(v))
  // The pattern lets a 30 February through; the date it makes is invalid.
  .refine((d) => !Number.isNaN(d.getTime()), RFC3339)
  .openapi({
    type: 'string',
    format: 'date-time',
    description: `When the payout (or every payout of the run) enters the normal flow: in the future, at most ${MAX_SCHEDULE_DAYS} days ahead. Until then it is \`scheduled\`: nothing held, nothing sent.`,
  });

/** A payout's fields, before the rule that joins two of them (exactly one beneficiary). */
export const createPayoutFields = z.strictObject({
  amount: amountIn(),
  currency: z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` }),
  provider: z.enum(PROVIDER_IDS, { error: `must be one of ${PROVIDER_IDS.join(', ')}` }).optional(),
  method: text(32).openapi({
    description:
      "The provider's method (RazorpayX: NEFT, RTGS, IMPS, UPI, card), within its rail's limits; or `auto` to let the engine choose the rail (UPI for a UPI address, else IMPS up to its limit, else NEFT).",
  }),
  purpose: text(64).optional(),
  reference_id: text(255).optional(),
  narration: text(255).optional(),
  description: text(255).optional(),
  beneficiary: beneficiarySchema.optional(),
  beneficiary_id: beneficiaryIdSchema.optional(),
  queue_if_low_balance: z.boolean().default(false),
  rail_fallback: z.boolean({ error: 'must be true or false' }).optional().openapi({
    description:
      'When the provider confirms the rail is unavailable for this payout (RazorpayX imps_not_allowed), send it again on NEFT as a second provider attempt (docs/api.md, "Rail fallback"). Absent: your setting rail_fallback decides.',
  }),
  metadata: metadataSchema().optional(),
  scheduled_for: scheduledForFormat.optional(),
});

/** A payout pays exactly one account: sent inline or a saved beneficiary's. */
function oneBeneficiary(body: { beneficiary?: object; beneficiary_id?: unknown }, ctx: z.RefinementCtx): void {
  // The account paid is either sent inline or a saved beneficiary's: exactly one of the two.
  if (body.beneficiary !== undefined && body.beneficiary_id !== undefined && onlyType(body.beneficiary)) {
    // A saved beneficiary has its own type: a second one beside it (a CSV row's beneficiary_type
    // cell) would make the payout disagree with the beneficiary it pays.
    ctx.addIssue({
      code: 'custom',
      path: ['beneficiary', 'type'],
      message: 'is the saved beneficiary’s own (set it on the beneficiary); leave it out with beneficiary_id',
    });
  } else if (body.beneficiary !== undefined && body.beneficiary_id !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['beneficiary_id'],
      message: 'send beneficiary_id or beneficiary, not both',
    });
  } else if (body.beneficiary === undefined && body.beneficiary_id === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['beneficiary'],
      message: 'is required, or beneficiary_id naming a saved beneficiary',
    });
  }
}

/** An inline beneficiary that holds nothing but a `type`. */
function onlyType(beneficiary: object): boolean {
  const keys = Object.keys(beneficiary);
  return keys.length === 1 && keys[0] === 'type';
}

export const createPayoutSchema = createPayoutFields.superRefine(oneBeneficiary).openapi('CreatePayout', {
  description: 'Exactly one of `beneficiary` (bank details inline) and `beneficiary_id` (a saved beneficiary).',
});
export type CreatePayoutBody = z.infer<typeof createPayoutSchema>;

/**
 * The beneficiary as answered: what was sent, with the account number masked (`1234****9012`), so
 * none of the request's format rules apply to it.
 */
export const payoutBeneficiarySchema = z
  .object({
    name: z.string().optional(),
    first_name: z.string().optional(),
    last_name: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional(),
    country: z.string().optional(),
    account_number: z
      .string()
      .nullable()
      .openapi({ description: 'Masked: the first and last four characters only.', example: '1234****9012' }),
    bank_code: z.string().optional(),
    bank_name: z.string().optional(),
    account_type: z.string().optional(),
    address: z
      .object({
        line1: z.string().optional(),
        line2: z.string().optional(),
        city: z.string().optional(),
        postal_code: z.string().optional(),
        country: z.string().optional(),
      })
      .optional(),
    provider_account_id: z.string().optional(),
    upi_address: z
      .string()
      .optional()
      .openapi({ description: 'A saved beneficiary’s UPI address, when it is paid by UPI.' }),
  })
  .openapi('PayoutBeneficiary');

/** The payout object's fields, shared by the payout and a batch's payout (which adds its `row`). */
const payoutFields = {
  id: z.string().openapi({ example: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
  object: z.literal('payout'),
  status: z.enum(PAYOUT_STATUSES),
  amount: z.number().int(),
  currency: z.enum(CURRENCIES),
  provider: z.enum(PROVIDER_IDS),
  method: z.string(),
  purpose: z.string().nullable(),
  reference_id: z.string().nullable(),
  narration: z.string().nullable(),
  description: z.string().nullable(),
  batch_id: z.string().nullable(),
  beneficiary: payoutBeneficiarySchema,
  beneficiary_id: z
    .string()
    .nullable()
    .openapi({ description: 'The saved beneficiary paid, or null (bank details inline).' }),
  beneficiary_version: z
    .number()
    .int()
    .nullable()
    .openapi({ description: 'The version of the saved beneficiary’s account that this payout paid.' }),
  beneficiary_type: z.enum(BENEFICIARY_TYPES).nullable().openapi({
    description:
      'Who the beneficiary is to you, as it was when the payout was accepted: the saved beneficiary’s `type`, or the inline `beneficiary.type`. Null: sent inline without one.',
  }),
  queue_if_low_balance: z.boolean(),
  rail_fallback: z
    .boolean()
    .nullable()
    .openapi({ description: 'The payout’s own rail fallback choice; null follows your setting rail_fallback.' }),
  route: z.array(z.string()).nullable().openapi({
    description:
      'The providers this payout may go to, in order, when one of your routing rules chose them (docs/api.md, "Routing rules"); provider is the current one. Null: it stays with its provider.',
  }),
  attempt: z.number().int().openapi({
    description:
      'The current provider attempt, from 1: a rail fallback starts attempt 2 on NEFT with its own idempotency key at the provider. provider, method and provider_payout_id are the current attempt’s; the history shows every attempt.',
  }),
  metadata: z.record(z.string(), z.string()),
  fees: z.number().int().nullable(),
  tax: z.number().int().nullable(),
  provider_payout_id: z.string().nullable(),
  utr: z.string().nullable(),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  queued_reason: z.enum(QUEUED_REASONS).nullable(),
  scheduled_for: z
    .string()
    .nullable()
    .openapi({ format: 'date-time', description: 'When a scheduled payout enters (or entered) the normal flow.' }),
  version: z.number().int().openapi({ description: 'Grows by one on every state change.' }),
  created_at: z.string(),
  updated_at: z.string(),
};
export const payoutSchema = z.object(payoutFields).openapi('Payout');
export const batchPayoutSchema = z
  .object({ row: z.number().int().openapi({ description: 'The row of the upload (from 1).' }), ...payoutFields })
  .openapi('BatchPayout');

const instant = (description: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an RFC 3339 date-time with a time zone, e.g. 2026-01-31T18:30:00Z' })
    .transform((v) => new Date(v))
    .optional()
    .openapi({ description, type: 'string', format: 'date-time' });
const amountBound = (description: string) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'must be an integer amount in minor units')
    .transform((v) => BigInt(v))
    .refine((v) => v <= BigInt(MAX_AMOUNT), `must be at most ${MAX_AMOUNT}`)
    .optional()
    .openapi({ description, type: 'integer' });

/**
 * The filters of `GET /v1/payouts`, shared by its CSV export: every one narrows the selection
 * (AND). Times are `from` inclusive and `to` exclusive; amounts are inclusive.
 */
const payoutFilterFields = {
  status: z
    .string()
    .transform((v, ctx) => {
      const list = v.split(',').map((s) => s.trim());
      const unknown = list.filter((s) => !(PAYOUT_STATUSES as readonly string[]).includes(s));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be payout states separated by commas (${PAYOUT_STATUSES.join(', ')}); not one: ${unknown.slice(0, 3).join(', ') || '(empty)'}`,
        });
        return z.NEVER;
      }
      return [...new Set(list)] as PayoutStatus[];
    })
    .optional()
    .openapi({ description: 'One state or several, comma-separated: `failed,rejected`.', type: 'string' }),
  provider: z.enum(PROVIDER_IDS).optional(),
  currency: z.enum(CURRENCIES).optional(),
  method: text(32).optional(),
  batch_id: text(64).optional(),
  beneficiary_id: text(64).optional(),
  beneficiary_type: beneficiaryTypeSchema
    .optional()
    .openapi({ description: 'Only payouts whose `beneficiary_type` is this.' }),
  reference_id: text(255).optional(),
  created_from: instant('Created at or after this instant (RFC 3339).'),
  created_to: instant('Created before this instant (RFC 3339).'),
  updated_from: instant('Last changed at or after this instant (RFC 3339).'),
  updated_to: instant('Last changed before this instant (RFC 3339).'),
  amount_min: amountBound('Amount at least this, in minor units.'),
  amount_max: amountBound('Amount at most this, in minor units.'),
};
const boundsInOrder = <T extends { amount_min?: bigint; amount_max?: bigint }>(q: T, ctx: z.RefinementCtx) => {
  if (q.amount_min !== undefined && q.amount_max !== undefined && q.amount_min > q.amount_max) {
    ctx.addIssue({ code: 'custom', path: ['amount_max'], message: 'must not be below amount_min' });
  }
};

export const payoutFiltersQuery = z.strictObject(payoutFilterFields).superRefine(boundsInOrder);
export type PayoutFilters = z.infer<typeof payoutFiltersQuery>;

export const listPayoutsQuery = z
  .strictObject({
    ...payoutFilterFields,
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: text(200).optional(),
  })
  .superRefine(boundsInOrder);

export const payoutListSchema = z
  .object({ data: z.array(payoutSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
  .openapi('PayoutList');

export const payoutEventSchema = z
  .object({
    from_status: z.string().nullable(),
    to_status: z.string(),
    applied: z.boolean(),
    source: z.string(),
    detail: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
  })
  .openapi('PayoutEvent');

export const balancesSchema = z
  .object({
    data: z.array(z.object({ currency: z.enum(CURRENCIES), available: balanceOut(), held: balanceOut() })),
  })
  .openapi('Balances');

export const createTenantSchema = z.strictObject({ name: text(200) }).openapi('CreateTenant');
export const tenantSchema = z.object({ id: z.string(), name: z.string(), created_at: z.string() }).openapi('Tenant');
export const listTenantsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: text(200).optional(),
});
export const tenantListSchema = z
  .object({ data: z.array(tenantSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
  .openapi('TenantList');

const keyRole = z.enum(TENANT_KEY_ROLES).openapi({
  description:
    'What the key may do: admin (everything, the default), maker (create, cancel and read payouts and batches), approver (read; the role that will decide approvals), viewer (read only).',
});
const keyLabel = text(100).openapi({ description: 'Who holds the key, shown in the history and audit trail.' });
export const createApiKeySchema = z
  .strictObject({
    mode: z.enum(['test', 'live']).default('test'),
    role: keyRole.default('admin'),
    label: keyLabel.optional(),
  })
  .openapi('CreateApiKey');
export const apiKeySchema = z
  .object({
    id: z.string(),
    key: z.string().openapi({ description: 'Shown once; only its hash is stored.' }),
    prefix: z.string(),
    tenant_id: z.string(),
    role: keyRole,
    label: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ApiKey');
/** A key as operators list it: never the key, never its hash. */
export const apiKeySummarySchema = z
  .object({
    id: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to tell keys apart.' }),
    role: z.enum([...TENANT_KEY_ROLES, 'operator']).openapi({ description: "A tenant key's role, or operator." }),
    label: z.string().nullable(),
    created_at: z.string(),
    last_used_at: z.string().nullable().openapi({ description: 'Updated at most once a minute.' }),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKeySummary');
export const requestSigningBodySchema = z
  .strictObject({ enabled: z.boolean({ error: 'must be true or false' }) })
  .openapi('RequestSigningSettings');
export const requestSigningSchema = z
  .object({
    tenant_id: z.string(),
    enabled: z.boolean(),
    secret: z
      .string()
      .optional()
      .openapi({ description: 'Shown once, when signing is enabled (each call issues a new secret).' }),
  })
  .openapi('RequestSigning');

/** A month: a longer hold is a beneficiary that should be archived, not a cooling-off. */
export const MAX_COOLING_OFF_HOURS = 720;
const MAX_PAYOUT_PURPOSES = 50;
/** The longest purpose a payout takes (`purpose` on a payout). */
const MAX_PURPOSE_LENGTH = 64;

export const updateTenantSettingsSchema = z
  .strictObject({
    duplicate_reference_guard: z.boolean({ error: 'must be true or false' }).optional().openapi({
      description:
        'Refuse a payout whose reference_id a payout of yours that is not failed, rejected or cancelled already has (409 duplicate_reference). On by default.',
    }),
    beneficiary_cooling_off_hours: z
      .number({ error: 'must be a whole number of hours' })
      .int('must be a whole number of hours')
      .min(0, 'must be 0 (off) or more')
      .max(MAX_COOLING_OFF_HOURS, `must be at most ${MAX_COOLING_OFF_HOURS} (30 days)`)
      .optional()
      .openapi({
        description:
          'Hours after a saved beneficiary’s bank account or UPI address changes during which payouts to it (and runs with a row paying it) wait in pending_approval for one approval by someone other than their maker (approval reason beneficiary_cooling_off). 0 (the default) is off.',
      }),
    payout_purposes: z
      .array(text(MAX_PURPOSE_LENGTH))
      .max(MAX_PAYOUT_PURPOSES, `may hold at most ${MAX_PAYOUT_PURPOSES} purposes`)
      .refine((list) => new Set(list).size === list.length, 'may not repeat a purpose')
      .optional()
      .openapi({
        description:
          'Purposes you created with your provider yourself (RazorpayX: on its Dashboard), accepted as `purpose` beside the provider’s standard ones. Replaces the whole list.',
      }),
    rail_fallback: z.boolean({ error: 'must be true or false' }).optional().openapi({
      description:
        'Rail fallback for payouts that do not say (their rail_fallback): when the provider confirms the rail unavailable (RazorpayX imps_not_allowed), an IMPS payout is sent again on NEFT as a second provider attempt, the same hold. Off by default.',
    }),
  })
  .openapi('UpdateSettings');
export const tenantSettingsSchema = z
  .object({
    object: z.literal('settings'),
    duplicate_reference_guard: z.boolean(),
    beneficiary_cooling_off_hours: z.number().int(),
    payout_purposes: z.array(z.string()),
    rail_fallback: z.boolean(),
  })
  .openapi('Settings');

export const createFundingSchema = z
  .strictObject({
    currency: z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` }),
    amount: amountIn(),
    reference: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1 to 100 letters, digits or ._:-')
      .openapi({ description: 'Your reference for this funding; the same reference funds once.' }),
  })
  .openapi('CreateFunding');

export const fundingSchema = z
  .object({
    tenant_id: z.string(),
    currency: z.enum(CURRENCIES),
    amount: z.number().int(),
    reference: z.string(),
    funded: z.boolean().openapi({ description: 'False when this reference had already funded the wallet.' }),
    released: z.number().int().openapi({ description: 'Queued payouts released by this funding.' }),
    balance: z.object({ available: balanceOut(), held: balanceOut() }),
  })
  .openapi('Funding');

const batchRowErrorSchema = z
  .object({
    row: z.number().int(),
    field: z.string(),
    message: z.string(),
    reference_id: z.string().optional().openapi({ description: 'The row’s own reference_id, when it gave one.' }),
  })
  .openapi('BatchRowError');

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    retry_after: z
      .number()
      .int()
      .optional()
      .openapi({ description: '`rate_limited`: seconds until a retry may pass.' }),
    row_errors: z
      .array(batchRowErrorSchema)
      .optional()
      .openapi({ description: '`batch_invalid`: every refused row (at most 10,000).' }),
    invalid_rows: z.number().int().optional().openapi({ description: '`batch_invalid`: how many rows were refused.' }),
    total_rows: z.number().int().optional().openapi({ description: '`batch_invalid`: how many rows were uploaded.' }),
    existing_payout_id: z
      .string()
      .optional()
      .openapi({ description: '`duplicate_reference`: the payout that holds the reference_id.' }),
    current_status: z.string().optional().openapi({
      description: '`not_pending_approval`: what the payout (its state) or the batch (its approval) is now.',
    }),
    batch_id: z
      .string()
      .optional()
      .openapi({ description: '`decided_with_batch`: the batch whose approval decides this payout.' }),
    approval_status: z
      .enum(['pending', 'approved', 'rejected', 'expired'])
      .optional()
      .openapi({ description: '`not_pending_approval`: how its approval was decided, when it had one.' }),
  })
  .openapi('Problem', {
    description:
      'RFC 9457 problem details: `code` is stable (and the last segment of `type`); `errors` names each failing field.',
  });

const shortfallSchema = z
  .object({ currency: z.string(), needed: balanceOut(), available: balanceOut() })
  .openapi('BatchShortfall');

/** A run as uploaded: the answer to `POST /v1/payout-batches`. */
const batchFields = {
  id: z.string().openapi({ example: 'bat_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
  object: z.literal('payout_batch'),
  mode: z.enum(['all_or_nothing', 'accept_valid']),
  on_insufficient_funds: z.enum(['refuse', 'queue']),
  source: z.enum(['json', 'csv']),
  rows: z.object({ total: z.number().int(), accepted: z.number().int(), rejected: z.number().int() }),
  totals: z
    .array(
      z.object({
        currency: z.enum(CURRENCIES),
        provider: z.enum(PROVIDER_IDS),
        count: z.number().int(),
        amount: balanceOut(),
      }),
    )
    .openapi({ description: 'Accepted rows per currency and provider.' }),
  scheduled_for: z
    .string()
    .nullable()
    .openapi({ format: 'date-time', description: 'A scheduled run: when every payout of it enters the normal flow.' }),
  preflight: z
    .object({
      shortfalls_at_upload: z.array(shortfallSchema),
      due: z.object({ checked_at: z.string(), shortfalls: z.array(shortfallSchema) }).nullable(),
    })
    .nullable()
    .openapi({
      description:
        'A scheduled run’s wallet pre-flight: at the upload (a shortfall is reported, not refused) and when it is due (null until then), which decides the run (docs/batches.md). Null for a run released at once.',
    }),
  created_at: z.string(),
};
export const batchSchema = z
  .object({
    ...batchFields,
    status: z.enum(['pending_approval', 'accepted', 'scheduled']).openapi({
      description:
        '`pending_approval` when the tenant’s approval policy caught the run (docs/api.md, "Approvals"); else `scheduled` for a run with a scheduled_for, waiting for it (nothing held, nothing sent), or `accepted`.',
    }),
    errors: z.array(batchRowErrorSchema).openapi({ description: 'The refused rows (accept_valid), at most 1,000.' }),
  })
  .openapi('PayoutBatch');
export const batchStatusSchema = z
  .object({
    ...batchFields,
    status: z.enum(['pending_approval', 'scheduled', 'processing', 'completed']).openapi({
      description:
        'pending_approval while the run waits for its approvals; scheduled while every payout not yet final waits for its time; completed once every accepted payout is final.',
    }),
    counts: z.record(z.string(), z.number().int()).openapi({ description: 'Payouts per state.' }),
    amounts: z
      .record(z.string(), z.record(z.string(), balanceOut()))
      .openapi({ description: 'Minor units per currency, then per state.' }),
    progress: z.object({ final: z.number().int(), total: z.number().int(), percent: z.number() }),
    completed_at: z.string().nullable(),
    elapsed_ms: z.number().int(),
  })
  .openapi('PayoutBatchStatus');
/** The answer to a dry run of `POST /v1/payout-batches`: the upload judged, nothing stored. */
export const batchPreviewSchema = z
  .object({
    object: z.literal('payout_batch_preview'),
    dry_run: z.literal(true),
    mode: batchFields.mode,
    on_insufficient_funds: batchFields.on_insufficient_funds,
    rows: z.object({ total: z.number().int(), valid: z.number().int(), invalid: z.number().int() }),
    row_errors: z.array(batchRowErrorSchema).openapi({ description: 'Every refused row’s errors (at most 10,000).' }),
    totals: batchFields.totals.openapi({ description: 'Valid rows per currency and provider.' }),
    shortfalls: z
      .array(z.object({ currency: z.enum(CURRENCIES), needed: balanceOut(), available: balanceOut() }))
      .openapi({ description: 'Wallets that cannot cover the valid rows (amounts plus fee reserves).' }),
    over_limit: z
      .array(z.enum(CURRENCIES))
      .openapi({ description: 'Currencies whose rows total more than a wallet may hold (10^15 minor units).' }),
    would_store: z.boolean().openapi({ description: 'Whether the same upload without dry_run would be stored.' }),
  })
  .openapi('PayoutBatchPreview');

export const batchPayoutsQuery = z.strictObject({
  status: z.string().min(1).max(32).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after_row: z.coerce.number().int().min(0).default(0),
});

export const ledgerReportSchema = z
  .object({
    ok: z.boolean(),
    problems: z.array(z.string()).openapi({ description: 'Each broken invariant, in words.' }),
    totals: z.array(
      z.object({
        currency: z.enum(CURRENCIES),
        sum: z.string().openapi({ description: 'The sum of every entry in the currency: "0" when balanced.' }),
      }),
    ),
  })
  .openapi('LedgerReport');

export const webhookReceiptSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().openapi({ description: 'This provider event id was received before: nothing changes.' }),
    payout_id: z.string().nullable().openapi({ description: 'Our payout, when the event names one we know.' }),
  })
  .openapi('ProviderWebhookReceipt');

export { z };
