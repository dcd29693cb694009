import { must } from '@payouts/core';
import { z } from 'zod';

/*
 * RazorpayX's wire shapes, from its "Create a Payout" page and RazorpayX's public API docs. The
 * simulator validates what the real API validates, so an adapter bug shows up here and not in
 * production.
 */

export const MODES = ['NEFT', 'RTGS', 'IMPS', 'UPI', 'card'] as const;

/**
 * The rails' own limits in paise, which RazorpayX enforces at creation: IMPS up to ₹5,00,000, RTGS
 * from ₹2,00,000, UPI up to ₹1,00,000 (the limit for most purposes); NEFT and card have none here.
 */
const MODE_LIMITS: Partial<Record<(typeof MODES)[number], { min?: number; max?: number; description: string }>> = {
  IMPS: { max: 50_000_000, description: 'The amount exceeds the maximum of INR 5,00,000.00 allowed for IMPS' },
  RTGS: { min: 20_000_000, description: 'The amount must be at least INR 2,00,000.00 for RTGS' },
  UPI: { max: 10_000_000, description: 'The amount exceeds the maximum of INR 1,00,000.00 allowed for UPI' },
};
export const PURPOSES = ['refund', 'cashback', 'payout', 'salary', 'utility bill', 'vendor bill'] as const;
export const PAYOUT_STATUSES = ['queued', 'processing', 'processed', 'failed', 'reversed', 'cancelled'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** 4–36 characters of `[A-Za-z0-9-_ ]`; RazorpayX's docs make the header mandatory since 2025-03-15. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9\-_ ]{4,36}$/;
const IFSC_PATTERN = /^[A-Z]{4}0[A-Z0-9]{6}$/;
const NARRATION_PATTERN = /^[a-zA-Z0-9 ]*$/;

/**
 * A contact's or account holder's name, as RazorpayX's Contacts and Fund Accounts pages state it:
 * letters, digits, space and ’ - _ / ( ) , . only (the page's ’ read as either apostrophe), not
 * ending in one of those symbols except `.`.
 */
const NAME_CHARACTERS = /^[a-zA-Z0-9 ’'\-_/(),.]*$/;
const NAME_ENDING = /[a-zA-Z0-9. ]$/;
const holderName = (min: number, max: number, what: string) =>
  z
    .string(`The ${what} must be a string`)
    .min(min, `The ${what} must be at least ${min} characters.`)
    .max(max, `The ${what} may not be greater than ${max} characters.`)
    .regex(NAME_CHARACTERS, `The ${what} may only contain letters, digits, spaces and ’ - _ / ( ) , .`)
    .regex(NAME_ENDING, `The ${what} cannot end with a special character, except .`);

/** Contact types RazorpayX has without Dashboard set-up (custom types are made in the Dashboard, never by API). */
export const CONTACT_TYPES = ['employee', 'vendor', 'customer', 'self'] as const;
/** The contact's phone (`contact`): at most 15 characters, digits with an optional leading +. */
const CONTACT_PHONE_PATTERN = /^\+?[0-9]{1,15}$/;
const CONTACT_PHONE_MAX = 15;
const VPA_PATTERN = /^[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9]{1,63}$/;

const bankAccountSchema = z.object({
  name: holderName(3, 120, 'name'),
  ifsc: z.string().regex(IFSC_PATTERN, 'The ifsc must be 4 capital letters, a 0, then 6 capital letters or digits'),
  account_number: z.string().regex(/^[A-Za-z0-9]{5,35}$/, 'The account number must be 5 to 35 letters or digits'),
});

const contactSchema = z.object({
  name: holderName(3, 50, 'name'),
  email: z.email('The email must be a valid email address.').optional(),
  contact: z
    .string()
    .max(CONTACT_PHONE_MAX, `The contact may not be greater than ${CONTACT_PHONE_MAX} characters.`)
    .regex(CONTACT_PHONE_PATTERN, 'The contact must be a phone number: digits, with an optional leading +.')
    .optional(),
  type: z.enum(CONTACT_TYPES, `Invalid type: the type must be one of ${CONTACT_TYPES.join(', ')}`).optional(),
  reference_id: z.string().max(40, 'The reference id may not be greater than 40 characters').optional(),
});

const fundAccountSchema = z.object({
  account_type: z.literal('bank_account', 'Only bank_account fund accounts are supported in composite payouts'),
  bank_account: bankAccountSchema,
  contact: contactSchema,
});
export type CompositeFundAccount = z.infer<typeof fundAccountSchema>;

const notesSchema = z
  .record(z.string().max(256), z.string().max(256, 'Each note can be at most 256 characters'))
  .refine((notes) => Object.keys(notes).length <= 15, 'At most 15 notes can be sent');

/** `POST /v1/contacts` (RazorpayX "Create a Contact"): strict, like every RazorpayX create. */
export const createContactSchema = z.strictObject({
  ...contactSchema.shape,
  notes: notesSchema.optional(),
});
export type CreateContactRequest = z.infer<typeof createContactSchema>;

/**
 * `PATCH /v1/contacts/:id` (RazorpayX "Update a Contact"): the fields of a create, each optional,
 * with the same rules; the fields sent replace the contact's.
 */
export const updateContactSchema = z.strictObject({
  name: contactSchema.shape.name.optional(),
  email: contactSchema.shape.email,
  contact: contactSchema.shape.contact,
  type: contactSchema.shape.type,
  reference_id: contactSchema.shape.reference_id,
  notes: notesSchema.optional(),
});
export type UpdateContactRequest = z.infer<typeof updateContactSchema>;

/** `POST /v1/fund_accounts` with a bank account or a VPA (RazorpayX "Create a Fund Account"). */
export const createFundAccountSchema = z.strictObject({
  contact_id: z.string('The contact id field is required.').min(1, 'The contact id field is required.'),
  account_type: z.enum(['bank_account', 'vpa'], 'The account type must be bank_account or vpa'),
  bank_account: z.strictObject(bankAccountSchema.shape).optional(),
  vpa: z.strictObject({ address: z.string().regex(VPA_PATTERN, 'The vpa address is invalid') }).optional(),
});
export type CreateFundAccountRequest = z.infer<typeof createFundAccountSchema>;

export interface ContactWire {
  readonly id: string;
  readonly entity: 'contact';
  readonly name: string;
  readonly contact: string | null;
  readonly email: string | null;
  readonly type: string | null;
  readonly reference_id: string | null;
  readonly batch_id: null;
  readonly active: true;
  readonly notes: Record<string, string>;
  readonly created_at: number;
}

export interface SavedFundAccountWire {
  readonly id: string;
  readonly entity: 'fund_account';
  readonly contact_id: string;
  readonly account_type: 'bank_account' | 'vpa';
  readonly bank_account?: {
    readonly ifsc: string;
    readonly bank_name: string;
    readonly name: string;
    readonly account_number: string;
    readonly notes: [];
  };
  readonly vpa?: { readonly username: string; readonly handle: string; readonly address: string };
  readonly active: true;
  readonly batch_id: null;
  readonly created_at: number;
}

/** The first failing rule of a strict create, named by its wire field, as RazorpayX reports one error at a time. */
function firstIssue(schema: z.ZodType, body: unknown): ParseResult<never> | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, field: null, description: 'The request body must be a JSON object' };
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return null;
  const issue = must(parsed.error.issues[0], 'an issue of a failed parse');
  if (issue.code === 'unrecognized_keys') {
    const field = [...issue.path, issue.keys[0]].join('.') || null;
    return { ok: false, field, description: `${issue.keys.join(', ')} is/are not required and should not be sent` };
  }
  const field = issue.path[0] === 'notes' ? 'notes' : issue.path.join('.');
  if (valueAt(body, issue.path) === undefined) {
    return { ok: false, field, description: `The ${field.replaceAll('_', ' ')} field is required.` };
  }
  return { ok: false, field, description: issue.message };
}

export function parseCreateContact(body: unknown): ParseResult<CreateContactRequest> {
  const failed = firstIssue(createContactSchema, body);
  if (failed) return failed;
  return { ok: true, value: createContactSchema.parse(body) };
}

export function parseUpdateContact(body: unknown): ParseResult<UpdateContactRequest> {
  const failed = firstIssue(updateContactSchema, body);
  if (failed) return failed;
  return { ok: true, value: updateContactSchema.parse(body) };
}

export function parseCreateFundAccount(body: unknown): ParseResult<CreateFundAccountRequest> {
  const failed = firstIssue(createFundAccountSchema, body);
  if (failed) return failed;
  const value = createFundAccountSchema.parse(body);
  // The account of the type named, and only that one.
  if (value.account_type === 'bank_account' && value.bank_account === undefined) {
    return { ok: false, field: 'bank_account', description: 'The bank account field is required.' };
  }
  if (value.account_type === 'vpa' && value.vpa === undefined) {
    return { ok: false, field: 'vpa', description: 'The vpa field is required.' };
  }
  if (value.bank_account !== undefined && value.vpa !== undefined) {
    return { ok: false, field: 'vpa', description: 'vpa is/are not required and should not be sent' };
  }
  return { ok: true, value };
}

/**
 * Strict, as RazorpayX is: an unknown field is an error ("… is/are not required and should not
 * be sent"). Cross-field rules (one fund account, the configured account number) are checked in
 * `parseCreatePayout`.
 */
export const createPayoutSchema = z.strictObject({
  account_number: z.string().min(1),
  amount: z
    .number('The amount must be an integer')
    .int('The amount must be an integer')
    .min(100, 'The amount must be atleast INR 1.00'),
  currency: z.literal('INR', 'The currency must be INR'),
  mode: z.enum(MODES, `The mode must be one of ${MODES.join(', ')} (case-sensitive)`),
  purpose: z.enum(PURPOSES, `The purpose must be one of ${PURPOSES.join(', ')}`),
  fund_account_id: z.string().min(1).optional(),
  fund_account: fundAccountSchema.optional(),
  reference_id: z.string().max(40, 'The reference id may not be greater than 40 characters').nullable().optional(),
  narration: z
    .string()
    .max(30, 'The narration may not be greater than 30 characters')
    .regex(NARRATION_PATTERN, 'The narration may only contain letters, digits and spaces')
    .nullable()
    .optional(),
  notes: notesSchema.optional(),
  queue_if_low_balance: z.boolean().optional(),
});
export type CreatePayoutRequest = z.infer<typeof createPayoutSchema>;

export type ParseResult<T = CreatePayoutRequest> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly field: string | null; readonly description: string };

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = body;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** The first failing rule, named by its wire field, as RazorpayX reports one error at a time. */
export function parseCreatePayout(body: unknown, accountNumber: string): ParseResult {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, field: null, description: 'The request body must be a JSON object' };
  }
  const parsed = createPayoutSchema.safeParse(body);
  if (!parsed.success) {
    const issue = must(parsed.error.issues[0], 'an issue of a failed parse');
    if (issue.code === 'unrecognized_keys') {
      const field = issue.keys[0] ?? null;
      return { ok: false, field, description: `${issue.keys.join(', ')} is/are not required and should not be sent` };
    }
    // A note's key is the caller's own word, not a wire field: name the `notes` field instead.
    const field = issue.path[0] === 'notes' ? 'notes' : issue.path.join('.');
    if (valueAt(body, issue.path) === undefined) {
      return { ok: false, field, description: `The ${field.replaceAll('_', ' ')} field is required.` };
    }
    return { ok: false, field, description: issue.message };
  }
  const value = parsed.data;
  if (value.account_number !== accountNumber) {
    return { ok: false, field: 'account_number', description: 'The account number is invalid' };
  }
  const rail = MODE_LIMITS[value.mode];
  if (
    rail &&
    ((rail.min !== undefined && value.amount < rail.min) || (rail.max !== undefined && value.amount > rail.max))
  ) {
    return { ok: false, field: 'amount', description: rail.description };
  }
  if (value.fund_account_id === undefined && value.fund_account === undefined) {
    return { ok: false, field: 'fund_account_id', description: 'The fund account id field is required.' };
  }
  if (value.fund_account_id !== undefined && value.fund_account !== undefined) {
    return {
      ok: false,
      field: 'fund_account_id',
      description: 'Only one of fund_account_id or fund_account may be sent',
    };
  }
  return { ok: true, value };
}

export interface StatusDetails {
  readonly source: 'internal' | 'beneficiary_bank' | 'gateway' | 'business';
  readonly reason: string;
  readonly description: string;
}

export interface FundAccountWire {
  readonly id: string;
  readonly entity: 'fund_account';
  readonly contact_id: string;
  readonly account_type: 'bank_account';
  readonly bank_account: { readonly name: string; readonly ifsc: string; readonly account_number: string };
  readonly contact: CompositeFundAccount['contact'] & { readonly id: string; readonly entity: 'contact' };
  readonly active: true;
  readonly created_at: number;
}

/** The payout entity as the page's success example shows it, plus `status_details` and `fund_account`. */
export interface RazorpayXPayout {
  id: string;
  entity: 'payout';
  fund_account_id: string;
  fund_account?: FundAccountWire;
  amount: number;
  currency: 'INR';
  notes: Record<string, string>;
  /** Fee plus tax, in paise; null until the payout is processing. */
  fees: number | null;
  tax: number | null;
  status: PayoutStatus;
  utr: string | null;
  mode: (typeof MODES)[number];
  purpose: (typeof PURPOSES)[number];
  reference_id: string | null;
  narration: string | null;
  batch_id: null;
  failure_reason: string | null;
  status_details: StatusDetails | null;
  /** Unix seconds. */
  created_at: number;
  fee_type: '';
  error: { description: string | null; source: string | null; reason: string | null };
}
