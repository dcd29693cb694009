import type { Currency, ProviderId } from '@payouts/core';
import { type Executor, rowsOf } from '@payouts/db';
import { sql } from 'drizzle-orm';

/** What our ledger says a provider holds for us in one currency. */
export interface ExpectedProviderBalance {
  provider: ProviderId;
  currency: Currency;
  /** Everything operators funded the provider with (the float account). */
  funded: bigint;
  /**
   * What the provider paid out for us: its clearing, fees and tax accounts (amounts, fees and tax
   * of processed payouts, less what reversals returned).
   */
  paidOut: bigint;
  /** `funded − paidOut`: what the provider should hold, payouts still in flight aside. */
  expected: bigint;
}

/**
 * The provider balance our ledger expects, per provider and currency, computed from the accounts
 * the payouts already post to (clearing, fees, tax) and the float account operator fundings raise:
 * the payout postings stay as they are. A provider/currency with no account at all is left out.
 * The console's overview and each reconciliation run's balance comparison read this.
 */
export async function expectedProviderBalances(
  db: Executor,
  filter: { provider?: ProviderId; currency?: Currency } = {},
): Promise<ExpectedProviderBalance[]> {
  const rows = rowsOf<{ provider: ProviderId; currency: Currency; funded: string; paid_out: string }>(
    await db.execute(sql`
      select provider, currency,
        coalesce(sum(balance) filter (where kind = 'provider_float'), 0)::text as funded,
        coalesce(sum(balance) filter (where kind in ('provider_clearing', 'fees', 'tax')), 0)::text as paid_out
      from ledger_accounts
      where provider is not null
        and kind in ('provider_float', 'provider_clearing', 'fees', 'tax')
        ${filter.provider ? sql`and provider = ${filter.provider}` : sql``}
        ${filter.currency ? sql`and currency = ${filter.currency}` : sql``}
      group by provider, currency
      order by provider, currency`),
  );
  return rows.map((r) => {
    const funded = BigInt(r.funded);
    const paidOut = BigInt(r.paid_out);
    return { provider: r.provider, currency: r.currency, funded, paidOut, expected: funded - paidOut };
  });
}
