import { z } from 'zod';

/**
 * RazorpayX's wire shapes, from its "Create a Payout" page and RazorpayX's public API docs
 * (statuses, idempotency, webhooks: docs/providers.md). Responses are parsed with loose
 * objects: RazorpayX adds fields over time and an unknown field must never fail a payout. Requests
 * are strict: we build them, so an unexpected key is our bug.
 */

/** `mode` values; the page says they are case-sensitive. */
export const RAZORPAYX_MODES = ['NEFT', 'RTGS', 'IMPS', 'UPI', 'card'] as const;

/**
 * The default purposes. Accounts can add their own on the dashboard only; we accept the defaults,
 * so a payout valid here is valid on every RazorpayX account.
 */
export const RAZORPAYX_PURPOSES = ['refund', 'cashback', 'payout', 'salary', 'utility bill', 'vendor bill'] as const;

/** The page's request limits, shared by the request schema and the adapter's `validate`. */
export const RAZORPAYX_LIMITS = {
  /** Paise. */
  minAmount: 100,
  referenceIdMaxLength: 40,
  narrationMaxLength: 30,
  narrationPattern: /^[a-zA-Z0-9 ]*$/,
  /** "Maximum 15 key-value pairs, 256 characters (maximum) each". */
  notesMaxPairs: 15,
  noteValueMaxLength: 256,
  /** IFSC: 4 letters (bank), a zero, 6 alphanumerics (branch). */
  ifscPattern: /^[A-Z]{4}0[A-Z0-9]{6}$/,
  /** X-Payout-Idempotency: 4–36 characters of letters, digits, `-`, `_` and space (RazorpayX's docs). */
  idempotencyKeyPattern: /^[A-Za-z0-9_\- ]{4,36}$/,
  /**
   * A contact's name (Contacts page), also the name on a composite payout's contact: 3 to 50
   * characters of letters, digits, space and ’ - _ / ( ) , . — not ending in a symbol other than `.`.
   */
  contactNameMinLength: 3,
  contactNameMaxLength: 50,
  /** An account holder's name (Fund Accounts page): the same characters, 3 to 120. */
  holderNameMaxLength: 120,
  /** The page's ’ is read as either apostrophe (the sandbox reads it the same way). */
  namePattern: /^[a-zA-Z0-9 ’'\-_/(),.]*$/,
  nameEndingPattern: /[a-zA-Z0-9. ]$/,
  /** A contact's phone (`contact`): at most 15 characters, a leading + included. */
  contactPhoneMaxLength: 15,
  /** Fund account: "Between 5 and 35 characters. Supported characters: a-z, A-Z and 0-9". */
  accountNumberPattern: /^[A-Za-z0-9]{5,35}$/,
  /** A contact's `reference_id`. */
  contactReferenceMaxLength: 40,
} as const;

/** Contact types every RazorpayX account has (others are made on the Dashboard, never by API). */
export const RAZORPAYX_CONTACT_TYPES = ['employee', 'vendor', 'customer', 'self'] as const;

const notesRequestSchema = z
  .record(z.string(), z.string().max(RAZORPAYX_LIMITS.noteValueMaxLength))
  .refine((notes) => Object.keys(notes).length <= RAZORPAYX_LIMITS.notesMaxPairs, {
    message: `at most ${RAZORPAYX_LIMITS.notesMaxPairs} notes`,
  });

const compositeFundAccountSchema = z.strictObject({
  account_type: z.literal('bank_account'),
  bank_account: z.strictObject({
    name: z.string().min(1),
    ifsc: z.string().regex(RAZORPAYX_LIMITS.ifscPattern),
    account_number: z.string().min(1),
  }),
  contact: z.strictObject({
    name: z.string().min(1),
    email: z.string().optional(),
    contact: z.string().optional(),
    type: z.enum(RAZORPAYX_CONTACT_TYPES),
  }),
});

/** `POST /v1/contacts`. */
export const createContactRequestSchema = z.strictObject({
  name: z.string().min(RAZORPAYX_LIMITS.contactNameMinLength).max(RAZORPAYX_LIMITS.contactNameMaxLength),
  email: z.string().optional(),
  contact: z.string().max(RAZORPAYX_LIMITS.contactPhoneMaxLength).optional(),
  type: z.enum(RAZORPAYX_CONTACT_TYPES),
  reference_id: z.string().max(RAZORPAYX_LIMITS.contactReferenceMaxLength),
  notes: notesRequestSchema.optional(),
});
export type CreateContactRequest = z.infer<typeof createContactRequestSchema>;

/**
 * `PATCH /v1/contacts/:id` (RazorpayX "Update a Contact"): the fields sent replace the contact's.
 * An email or phone the beneficiary no longer has is not sent (RazorpayX has no way to clear one).
 */
export const updateContactRequestSchema = createContactRequestSchema
  .pick({ name: true, email: true, contact: true, type: true })
  .strict();
export type UpdateContactRequest = z.infer<typeof updateContactRequestSchema>;

/** `POST /v1/fund_accounts`: a bank account or a VPA of a contact. */
export const createFundAccountRequestSchema = z.union([
  z.strictObject({
    contact_id: z.string().min(1),
    account_type: z.literal('bank_account'),
    bank_account: z.strictObject({
      name: z.string().min(RAZORPAYX_LIMITS.contactNameMinLength).max(RAZORPAYX_LIMITS.holderNameMaxLength),
      ifsc: z.string().regex(RAZORPAYX_LIMITS.ifscPattern),
      account_number: z.string().regex(RAZORPAYX_LIMITS.accountNumberPattern),
    }),
  }),
  z.strictObject({
    contact_id: z.string().min(1),
    account_type: z.literal('vpa'),
    vpa: z.strictObject({ address: z.string().min(1) }),
  }),
]);
export type CreateFundAccountRequest = z.infer<typeof createFundAccountRequestSchema>;

/** A contact or fund account as answered: only its id is read. */
export const contactSchema = z.looseObject({ id: z.string().min(1), entity: z.literal('contact') });
export const fundAccountSchema = z.looseObject({ id: z.string().min(1), entity: z.literal('fund_account') });

const createPayoutBaseShape = {
  account_number: z.string().min(1),
  amount: z.int().min(RAZORPAYX_LIMITS.minAmount),
  currency: z.literal('INR'),
  mode: z.enum(RAZORPAYX_MODES),
  // A standard purpose, or one the account created on its Dashboard (the adapter's validate decides).
  purpose: z.string().min(1),
  queue_if_low_balance: z.boolean(),
  reference_id: z.string().min(1).max(RAZORPAYX_LIMITS.referenceIdMaxLength).optional(),
  narration: z
    .string()
    .min(1)
    .max(RAZORPAYX_LIMITS.narrationMaxLength)
    .regex(RAZORPAYX_LIMITS.narrationPattern)
    .optional(),
  notes: notesRequestSchema.optional(),
};

/** `POST /v1/payouts`: to a saved fund account, or a composite payout carrying the bank account inline. */
export const createPayoutRequestSchema = z.union([
  z.strictObject({ ...createPayoutBaseShape, fund_account_id: z.string().min(1) }),
  z.strictObject({ ...createPayoutBaseShape, fund_account: compositeFundAccountSchema }),
]);
export type CreatePayoutRequest = z.infer<typeof createPayoutRequestSchema>;

/**
 * `notes` on a response. Razorpay's API serialises empty notes as `[]` (an empty PHP array), not
 * `{}`; values are strings when we set them, but another integration may have stored numbers.
 */
const notesResponseSchema = z.preprocess(
  (value) => (Array.isArray(value) && value.length === 0 ? {} : value),
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
);

/** `status_details`, which replaces the deprecated `failure_reason`. Example reason: `imps_not_allowed`. */
export const statusDetailsSchema = z.looseObject({
  source: z.string().nullish(),
  reason: z.string().nullish(),
  description: z.string().nullish(),
});

/** The `error` object embedded in a payout (all null on the page's success example). */
export const payoutErrorSchema = z.looseObject({
  code: z.string().nullish(),
  description: z.string().nullish(),
  source: z.string().nullish(),
  reason: z.string().nullish(),
  step: z.string().nullish(),
  field: z.string().nullish(),
});

/**
 * The payout entity. `status` stays a free string: an unknown status is mapped to "still in
 * progress" by status.ts, never rejected here. `fees` INCLUDES `tax` (the page: fees 590 = 500 fee
 * + 90 GST), so a tax above the fees is a response we cannot read, and refusing it is safer than
 * posting a negative fee to the ledger.
 */
export const payoutSchema = z
  .looseObject({
    id: z.string().min(1),
    entity: z.literal('payout'),
    fund_account_id: z.string().nullish(),
    amount: z.int().nonnegative(),
    currency: z.string(),
    notes: notesResponseSchema.nullish(),
    fees: z.int().nonnegative().nullish(),
    tax: z.int().nonnegative().nullish(),
    status: z.string().min(1),
    utr: z.string().nullish(),
    mode: z.string().nullish(),
    purpose: z.string().nullish(),
    reference_id: z.string().nullish(),
    narration: z.string().nullish(),
    batch_id: z.string().nullish(),
    failure_reason: z.string().nullish(),
    created_at: z.int().nullish(),
    fee_type: z.string().nullish(),
    status_details: statusDetailsSchema.nullish(),
    error: payoutErrorSchema.nullish(),
  })
  .refine((p) => p.fees == null || p.tax == null || p.tax <= p.fees, {
    message: 'tax exceeds fees, but RazorpayX fees include tax',
    path: ['tax'],
  });
export type RazorpayxPayout = z.infer<typeof payoutSchema>;

/** `GET /v1/payouts?…`. */
export const payoutCollectionSchema = z.looseObject({
  entity: z.literal('collection'),
  count: z.int().nonnegative(),
  items: z.array(payoutSchema),
});
export type RazorpayxPayoutCollection = z.infer<typeof payoutCollectionSchema>;

/**
 * `GET /v1/banking_balances` ("Fetch Balance"): one item per account of the merchant, amounts in
 * paise. https://razorpay.com/docs/api/x/account-validation/balance-fetch
 */
export const bankingBalanceSchema = z.looseObject({
  entity: z.literal('banking_balance'),
  currency: z.string(),
  account_number: z.string(),
  account_type: z.string().nullish(),
  amount: z.int(),
  available_amount: z.int().nullish(),
  refreshed_at: z.int().nullish(),
});
export const bankingBalanceCollectionSchema = z.looseObject({
  entity: z.literal('collection'),
  count: z.int().nonnegative(),
  items: z.array(bankingBalanceSchema),
});
export type RazorpayxBankingBalances = z.infer<typeof bankingBalanceCollectionSchema>;

/** Every non-2xx answer: `{error: {code, description, source, step, reason, metadata, field}}`. */
export const errorResponseSchema = z.looseObject({
  error: z.looseObject({
    code: z.string().min(1),
    description: z.string().nullish(),
    source: z.string().nullish(),
    step: z.string().nullish(),
    reason: z.string().nullish(),
    metadata: z.unknown().optional(),
    field: z.string().nullish(),
  }),
});

/**
 * A webhook delivery. Payout events carry `payload.payout.entity`; others that share the
 * `payout.` prefix (`payout.downtime.started|resolved`) carry something else and no payout.
 */
export const webhookEnvelopeSchema = z.looseObject({
  entity: z.literal('event'),
  account_id: z.string(),
  event: z.string().min(1),
  contains: z.array(z.string()),
  payload: z.looseObject({
    payout: z.looseObject({ entity: payoutSchema }).optional(),
    /** `payout.downtime.*`: RazorpayX documents the events, not the entity in full (ASSUMPTIONS). */
    'payout.downtime': z
      .looseObject({
        entity: z.looseObject({
          id: z.string().min(1).max(100),
          mode: z.string().min(1).max(20),
          status: z.string().min(1),
          begin: z.int().nullish(),
          end: z.int().nullish(),
        }),
      })
      .optional(),
  }),
  created_at: z.int(),
});
