import { isId, jsonAmount, MAX_AMOUNT, must, newId } from '@payouts/core';
import { apiKeys, ledgerTransactions, tenants } from '@payouts/db';
import { fundingTransactionKey, verifyLedger, walletBalances } from '@payouts/ledger';
import { and, asc, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { Router } from 'express';
import { generateApiKey, hashApiKey, keyPrefix } from '../api-keys.ts';
import { type Authenticator, requireOperator } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { fingerprint, readIdempotencyKey, withIdempotency } from '../idempotency.ts';
import { recordOperatorAction } from '../operator-log.ts';
import { decodeCursor, page } from '../pagination.ts';
import { HttpProblem, problems } from '../problem.ts';
import { generateSigningSecret } from '../request-signing.ts';
import {
  createApiKeySchema,
  createFundingSchema,
  createTenantSchema,
  listPayoutsQuery,
  listTenantsQuery,
  requestSigningBodySchema,
} from '../schemas.ts';
import { expectNoBody, parseBody, parseQuery } from '../validation.ts';
import { payoutPage } from './payouts.ts';

/** Operator routes (docs/api.md): operator keys only, never a tenant's. */
export function adminRoutes(deps: ApiDeps, auth?: Pick<Authenticator, 'forget'>): Router {
  const router = Router();
  router.use((req, _res, next) => {
    requireOperator(req);
    next();
  });

  router.post('/tenants', async (req, res) => {
    const key = readIdempotencyKey(req);
    const body = parseBody(createTenantSchema, req);
    const { response, replayed } = await withIdempotency(
      deps.db,
      'operator',
      key,
      fingerprint(req, req.body),
      async (tx) => {
        const [row] = await tx
          .insert(tenants)
          .values({ id: newId('tenant'), name: body.name })
          .returning();
        // In the transaction of the tenant and its idempotency record: all three, or none.
        await recordOperatorAction(tx, {
          actor: requireOperator(req).keyId,
          action: 'tenant.create',
          target: must(row, 'the inserted tenant').id,
          params: body,
        });
        return { status: 201, body: tenantResource(must(row, 'the inserted tenant')) };
      },
    );
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  /** Every tenant, newest first, in keyset pages (the operator's way to find an id). */
  router.get('/tenants', async (req, res) => {
    const q = parseQuery(listTenantsQuery, req);
    const filters: SQL[] = [];
    if (q.cursor) filters.push(lt(tenants.id, decodeCursor(q.cursor, 'tenant')));
    const rows = await deps.db
      .select()
      .from(tenants)
      .where(and(...filters))
      .orderBy(desc(tenants.id))
      .limit(q.limit + 1);
    const result = page(rows, q.limit);
    res.json({ ...result, data: result.data.map(tenantResource) });
  });

  /**
   * Issues a key, shown once. Not under Idempotency-Key on purpose: replaying the response would
   * mean storing the key itself; a second call simply issues a second key (revocable).
   */
  router.post('/tenants/:id/api-keys', async (req, res) => {
    const tenant = await findTenant(deps, req.params.id);
    const body = req.body === undefined ? createApiKeySchema.parse({}) : parseBody(createApiKeySchema, req);
    const key = generateApiKey(body.mode);
    const row = await deps.db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(apiKeys)
        .values({
          id: newId('apiKey'),
          tenantId: tenant.id,
          role: 'tenant',
          tenantRole: body.role,
          label: body.label ?? null,
          prefix: keyPrefix(key),
          hash: hashApiKey(key),
        })
        .returning();
      const issued = must(inserted, 'the inserted API key');
      await recordOperatorAction(tx, {
        actor: requireOperator(req).keyId,
        action: 'api_key.issue',
        target: tenant.id,
        result: { key_id: issued.id, prefix: issued.prefix, role: body.role, label: body.label ?? null },
      });
      return issued;
    });
    res.status(201).json({
      id: row.id,
      key,
      prefix: row.prefix,
      tenant_id: tenant.id,
      role: body.role,
      label: row.label,
      created_at: row.createdAt.toISOString(),
    });
  });

  /** A tenant's keys, revoked ones included: never the key, never its hash. */
  router.get('/tenants/:id/api-keys', async (req, res) => {
    const tenant = await findTenant(deps, req.params.id);
    const rows = await deps.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id)).orderBy(asc(apiKeys.id));
    res.json({ data: rows.map(apiKeySummary) });
  });

  /**
   * Revokes a key for good (idempotent: revoking a revoked key answers the same). It stops working
   * at once on this API instance and within the key cache's 10 s on the others.
   */
  router.post('/api-keys/:id/revoke', async (req, res) => {
    const operator = requireOperator(req);
    expectNoBody(req);
    const id = req.params.id;
    if (!isId(id, 'apiKey')) throw problems.notFound('The API key');
    if (id === operator.keyId) {
      throw problems.conflict('api_key_in_use', 'An operator key cannot revoke itself; use another operator key.');
    }
    const row = await deps.db.transaction(async (tx) => {
      const [revoked] = await tx
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(eq(apiKeys.id, id))
        .returning();
      if (!revoked) throw problems.notFound('The API key');
      await recordOperatorAction(tx, {
        actor: operator.keyId,
        action: 'api_key.revoke',
        target: revoked.id,
        result: {
          tenant_id: revoked.tenantId,
          prefix: revoked.prefix,
          revoked_at: revoked.revokedAt?.toISOString() ?? null,
        },
      });
      return revoked;
    });
    // After the commit: forgetting first could let a concurrent request cache the key as valid again.
    auth?.forget({ keyId: row.id });
    res.json({ ...apiKeySummary(row), tenant_id: row.tenantId });
  });

  /**
   * Turns request signing on (a new secret, shown once: enabling again rotates it) or off. From
   * then on every request with the tenant's keys must be signed (docs/security.md).
   */
  router.post('/tenants/:id/request-signing', async (req, res) => {
    const operator = requireOperator(req);
    const tenant = await findTenant(deps, req.params.id);
    const body = parseBody(requestSigningBodySchema, req);
    const secret = body.enabled ? generateSigningSecret() : null;
    await deps.db.transaction(async (tx) => {
      await tx.update(tenants).set({ requestSigningSecret: secret }).where(eq(tenants.id, tenant.id));
      await recordOperatorAction(tx, {
        actor: operator.keyId,
        action: body.enabled ? 'request_signing.enable' : 'request_signing.disable',
        target: tenant.id,
        params: body,
        result: { rotated: body.enabled && tenant.requestSigningSecret !== null },
      });
    });
    auth?.forget({ tenantId: tenant.id });
    res.json({ tenant_id: tenant.id, enabled: body.enabled, ...(secret ? { secret } : {}) });
  });

  /**
   * Funds a wallet through the reconciler (the only ledger writer); idempotent on `reference`.
   * Whether this reference funded before, with what, and whether the wallet has room, is decided
   * by the reconciler under the reference's lock, in the transaction that writes the funding and
   * its `wallet.fund` operator action: a check here, before the write, would let concurrent
   * requests with one reference race past it.
   */
  router.post('/tenants/:id/fundings', async (req, res) => {
    const operator = requireOperator(req);
    const tenant = await findTenant(deps, req.params.id);
    const body = parseBody(createFundingSchema, req);
    const reply = await deps.reconciler.call('wallet.fund', {
      tenantId: tenant.id,
      currency: body.currency,
      amount: String(body.amount),
      reference: body.reference,
      actor: operator.keyId,
    });
    if (reply.state === 'finished') {
      // Its answer is gone with its job. Funded (by this call or an earlier one with this
      // reference): `202` as if still running — a retry answers which. Not funded: the job was lost.
      const [funding] = await deps.db
        .select({ id: ledgerTransactions.id })
        .from(ledgerTransactions)
        .where(eq(ledgerTransactions.idempotencyKey, fundingTransactionKey(tenant.id, body.reference)));
      if (!funding) throw problems.unavailable('The funding was lost before it could be applied: retry it.');
    }
    const answer = reply.state === 'answered' ? reply.answer : null;
    if (answer?.outcome === 'refused' && answer.reason === 'funding_reference_reused') {
      throw problems.conflict(
        'funding_reference_reused',
        `This reference already funded the wallet with ${answer.currency} ${answer.amount} (minor units); a reference funds once.`,
        'reference',
      );
    }
    if (answer?.outcome === 'refused' && answer.reason === 'balance_limit_exceeded') {
      throw new HttpProblem(
        422,
        'balance_limit_exceeded',
        `The ${body.currency} wallet holds ${answer.amount} (available + held); with this funding it would hold more than ${MAX_AMOUNT} minor units, the most a wallet may hold. Nothing was funded.`,
        [{ path: 'amount', message: `would take the wallet past ${MAX_AMOUNT} minor units` }],
      );
    }
    if (answer && answer.outcome !== 'applied' && answer.outcome !== 'unchanged') {
      throw new Error(`wallet.fund answered ${answer.outcome} (${answer.reason ?? 'no reason'})`);
    }
    // The funding is committed (or will be, 202): from here on nothing may turn it into an error.
    const balance = (await walletBalances(deps.db, tenant.id)).find((b) => b.currency === body.currency);
    res.status(answer === null ? 202 : answer.funded ? 201 : 200).json({
      tenant_id: tenant.id,
      currency: body.currency,
      amount: answer?.amount === undefined ? body.amount : jsonAmount(BigInt(answer.amount)),
      reference: body.reference,
      funded: answer?.funded ?? false,
      released: answer?.released ?? 0,
      balance: { available: jsonAmount(balance?.available ?? 0n), held: jsonAmount(balance?.held ?? 0n) },
    });
  });

  /** A tenant's payouts with the tenant's own filters (the console's payout search for operators). */
  router.get('/tenants/:id/payouts', async (req, res) => {
    const tenant = await findTenant(deps, req.params.id);
    res.json(await payoutPage(deps, tenant.id, parseQuery(listPayoutsQuery, req)));
  });

  router.get('/tenants/:id/balances', async (req, res) => {
    const tenant = await findTenant(deps, req.params.id);
    const rows = await walletBalances(deps.db, tenant.id);
    res.json({
      data: rows.map((b) => ({
        currency: b.currency,
        available: jsonAmount(b.available),
        held: jsonAmount(b.held),
      })),
    });
  });

  /** The ledger's invariants, checked from the entries (also run by the tests after every scenario). */
  router.get('/ledger/verify', async (_req, res) => {
    const report = await verifyLedger(deps.db);
    res.status(report.ok ? 200 : 500).json({
      ok: report.ok,
      problems: report.problems,
      totals: report.totals.map((t) => ({ currency: t.currency, sum: t.sum.toString() })),
    });
  });

  return router;
}

function tenantResource(row: typeof tenants.$inferSelect) {
  return { id: row.id, name: row.name, created_at: row.createdAt.toISOString() };
}

function apiKeySummary(row: typeof apiKeys.$inferSelect) {
  return {
    id: row.id,
    prefix: row.prefix,
    // A tenant key's role (what it may do); an operator key is just that.
    role: row.role === 'operator' ? 'operator' : (row.tenantRole ?? 'admin'),
    label: row.label,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

async function findTenant(deps: ApiDeps, id: string) {
  if (!isId(id, 'tenant')) throw problems.notFound('The tenant');
  const [row] = await deps.db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw problems.notFound('The tenant');
  return row;
}
