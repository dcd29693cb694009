import { CURRENCIES, type ProviderId } from '@payouts/core';
import { ledgerTransactions } from '@payouts/db';
import { providerFundingTransactionKey } from '@payouts/ledger';
import { eq } from 'drizzle-orm';
import type { ApiDeps } from './deps.ts';
import { problems } from './problem.ts';
import { amountIn, z } from './schemas.ts';

export const providerFundingSchema = z
  .strictObject({
    currency: z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` }),
    amount: amountIn(),
    reference: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1 to 100 letters, digits or ._:-')
      .openapi({ description: 'Your reference for this transfer to the provider; the same reference funds once.' }),
  })
  .openapi('ProviderFunding', {
    description:
      "Money sent to the provider (our float there): posted to the ledger's provider float account, once per reference.",
  });

export const providerFundingResult = z.object({
  currency: z.enum(CURRENCIES),
  amount: z.number().int(),
  reference: z.string(),
  /** False when this reference funded before (a retry): nothing was posted this time. */
  funded: z.boolean(),
});

/**
 * Posts a provider funding through the reconciler (the only ledger writer), idempotent on the
 * reference: the same reference with the same amount answers `funded: false`; with another, 409.
 */
export async function fundProvider(
  deps: ApiDeps,
  provider: ProviderId,
  body: z.infer<typeof providerFundingSchema>,
  actor: string,
): Promise<z.infer<typeof providerFundingResult>> {
  const reply = await deps.reconciler.call('provider.fund', {
    provider,
    currency: body.currency,
    amount: String(body.amount),
    reference: body.reference,
    actor,
  });
  if (reply.state !== 'answered') {
    // The answer is gone with its job, or not here yet: the ledger says whether it was posted.
    const [posted] = await deps.db
      .select({ id: ledgerTransactions.id })
      .from(ledgerTransactions)
      .where(eq(ledgerTransactions.idempotencyKey, providerFundingTransactionKey(provider, body.reference)));
    if (!posted)
      throw problems.unavailable('The provider funding was not applied yet: retry it with the same reference.');
    return { ...body, funded: false };
  }
  const answer = reply.answer;
  if (answer.outcome === 'refused' && answer.reason === 'funding_reference_reused') {
    throw problems.conflict(
      'funding_reference_reused',
      `This reference already funded ${provider} with ${answer.currency} ${answer.amount} (minor units); a reference funds once.`,
      'reference',
    );
  }
  if (answer.outcome !== 'applied' && answer.outcome !== 'unchanged') {
    throw new Error(`provider.fund answered ${answer.outcome} (${answer.reason ?? 'no reason'})`);
  }
  return {
    currency: body.currency,
    // Within MAX_AMOUNT (amountIn), so an exact JSON number.
    amount: Number(answer.amount ?? body.amount),
    reference: body.reference,
    funded: answer.funded ?? false,
  };
}
