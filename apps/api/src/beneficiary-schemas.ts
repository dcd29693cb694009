import { PROVIDER_IDS } from '@payouts/core';
import { BENEFICIARY_TYPES } from '@payouts/db';
import { addressSchema, beneficiarySchema, beneficiaryTypeSchema, metadataSchema, text, z } from './schemas.ts';

/**
 * Request and response schemas of saved beneficiaries (routes/beneficiaries.ts; docs/api.md,
 * "Beneficiaries"). The field rules are those of a payout's inline `beneficiary`, so a saved
 * beneficiary can hold exactly what a payout could; each provider's own rules apply when a payout
 * is routed to it, naming `beneficiary_id`.
 */
const inline = beneficiarySchema.shape;

export const bankAccountSchema = z
  .strictObject({
    account_number: inline.account_number.unwrap(),
    bank_code: inline.bank_code.unwrap().openapi({ description: 'IFSC, Thai bank code, routing number, …' }),
    bank_name: inline.bank_name,
    account_type: inline.account_type,
  })
  .openapi('BeneficiaryBankAccount');

/** A UPI address (VPA): `name@handle`, as NPCI defines it. */
const upiAddress = z
  .string()
  .regex(/^[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9]{1,63}$/, 'must be a UPI address (name@bank)')
  .openapi({ example: 'asha@okicici' });

const providerAccounts = z.partialRecord(z.enum(PROVIDER_IDS), text(100)).openapi({
  description:
    'Accounts you registered at a provider yourself, by provider: DRUO needs its `acc_…` id. Used as `provider_account_id` when a payout to this beneficiary goes through that provider.',
  example: { druo: 'acc_7f3a9c' },
});

const contactFields = {
  name: text(140),
  first_name: inline.first_name,
  last_name: inline.last_name,
  email: inline.email,
  phone: inline.phone,
  country: inline.country,
  address: addressSchema.optional(),
  reference_id: text(255).optional().openapi({ description: 'Your own id for this payee (an employee number).' }),
  metadata: metadataSchema().optional(),
};

/** Exactly one of a bank account and a UPI address: `where` names the field of the mistake. */
function oneAccount(required: boolean) {
  return (body: { bank_account?: unknown; upi_address?: unknown }, ctx: z.RefinementCtx) => {
    if (body.bank_account !== undefined && body.upi_address !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['upi_address'], message: 'send bank_account or upi_address, not both' });
    } else if (required && body.bank_account === undefined && body.upi_address === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bank_account'], message: 'is required, or upi_address' });
    }
  };
}

export const createBeneficiarySchema = z
  .strictObject({
    type: beneficiaryTypeSchema,
    ...contactFields,
    bank_account: bankAccountSchema.optional(),
    upi_address: upiAddress.optional(),
    provider_accounts: providerAccounts.optional(),
  })
  .superRefine(oneAccount(true))
  .openapi('CreateBeneficiary', { description: 'Exactly one of `bank_account` and `upi_address`.' });
export type CreateBeneficiaryBody = z.infer<typeof createBeneficiarySchema>;

/**
 * Only the fields sent change. `null` clears an optional contact field. A new `bank_account` or
 * `upi_address` makes a new version (the earlier ones stay, and the payouts that paid them).
 */
export const updateBeneficiarySchema = z
  .strictObject({
    type: createBeneficiarySchema.shape.type.optional(),
    name: contactFields.name.optional(),
    first_name: inline.first_name.unwrap().nullable().optional(),
    last_name: inline.last_name.unwrap().nullable().optional(),
    email: inline.email.unwrap().nullable().optional(),
    phone: inline.phone.unwrap().nullable().optional(),
    country: inline.country.unwrap().nullable().optional(),
    address: addressSchema.nullable().optional(),
    reference_id: text(255).nullable().optional(),
    metadata: metadataSchema().nullable().optional(),
    bank_account: bankAccountSchema.optional(),
    upi_address: upiAddress.optional(),
    provider_accounts: providerAccounts.optional().openapi({ description: 'Replaces the whole map.' }),
  })
  .superRefine(oneAccount(false))
  .openapi('UpdateBeneficiary');
export type UpdateBeneficiaryBody = z.infer<typeof updateBeneficiarySchema>;

export const listBeneficiariesQuery = z.strictObject({
  type: beneficiaryTypeSchema.optional().openapi({ description: 'Only beneficiaries of this type.' }),
  reference_id: text(255).optional(),
  name: text(140).optional().openapi({ description: 'Part of the name, any case.' }),
  archived: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: 'Only archived (`true`) or only active (`false`) ones; both when absent.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: text(200).optional(),
});

const versionAuthor = z
  .object({
    key_id: z.string().openapi({ description: 'The API key that made the change.' }),
    label: z.string().nullable().openapi({ description: 'Its label at the time.' }),
  })
  .openapi('BeneficiaryVersionAuthor');

const accountOut = {
  bank_account: z
    .object({
      account_number: z
        .string()
        .nullable()
        .openapi({ description: 'Masked: first and last four.', example: '1234****9012' }),
      bank_code: z.string().nullable(),
      bank_name: z.string().nullable(),
      account_type: z.string().nullable(),
    })
    .nullable(),
  upi_address: z.string().nullable(),
};

export const beneficiaryVersionSchema = z
  .object({
    version: z.number().int(),
    ...accountOut,
    created_by: versionAuthor,
    created_at: z.string(),
  })
  .openapi('BeneficiaryVersion');

export const beneficiarySavedSchema = z
  .object({
    id: z.string().openapi({ example: 'ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }),
    object: z.literal('beneficiary'),
    type: z.enum(BENEFICIARY_TYPES),
    name: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    country: z.string().nullable(),
    address: z.record(z.string(), z.string()).nullable(),
    reference_id: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    ...accountOut,
    version: z
      .number()
      .int()
      .openapi({ description: 'The current version of the account: the one the next payout pays.' }),
    version_created_by: versionAuthor,
    version_created_at: z.string().openapi({ description: 'When the current account was set.' }),
    provider_accounts: z.record(z.string(), z.string()).openapi({
      description: 'The accounts you registered at a provider yourself, by provider.',
    }),
    registrations: z
      .array(
        z.object({
          provider: z.enum(PROVIDER_IDS),
          version: z.number().int(),
          contact_id: z.string().openapi({ description: 'The beneficiary at the provider (RazorpayX contact).' }),
          account_id: z.string().nullable().openapi({
            description: 'This version’s account there (RazorpayX fund account); null while being created.',
          }),
          created_at: z.string(),
        }),
      )
      .openapi({
        description:
          'What we registered at each provider that pays registered accounts (RazorpayX), per version, made by the first payout through it.',
      }),
    archived: z.boolean(),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('SavedBeneficiary');

export const beneficiaryListSchema = z
  .object({ data: z.array(beneficiarySavedSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
  .openapi('BeneficiaryList');
export const beneficiaryVersionListSchema = z
  .object({ data: z.array(beneficiaryVersionSchema) })
  .openapi('BeneficiaryVersionList');
