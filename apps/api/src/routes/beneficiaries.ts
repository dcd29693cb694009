import { isId, must, newId } from '@payouts/core';
import { type BeneficiaryAccount, beneficiaries, beneficiaryVersions, type Executor } from '@payouts/db';
import { and, asc, desc, eq, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { Router } from 'express';
import { requireTenant } from '../auth.ts';
import {
  type CreateBeneficiaryBody,
  createBeneficiarySchema,
  listBeneficiariesQuery,
  type UpdateBeneficiaryBody,
  updateBeneficiarySchema,
} from '../beneficiary-schemas.ts';
import type { ApiDeps } from '../deps.ts';
import { fingerprint, readIdempotencyKey, withIdempotency } from '../idempotency.ts';
import { decodeCursor, page } from '../pagination.ts';
import { problems } from '../problem.ts';
import {
  type BeneficiaryRow,
  type BeneficiaryVersionRow,
  beneficiaryResource,
  beneficiaryVersionResource,
  registrationsOf,
} from '../saved-beneficiaries.ts';
import { expectNoBody, parseBody, parseQuery } from '../validation.ts';

/**
 * Saved beneficiaries (docs/api.md, "Beneficiaries"): a tenant saves the people it pays again and
 * again, and pays them by id. Contact details change in place; a new account or UPI address is a
 * new version (who, when), so a payout says exactly which account it paid. Archiving stops new
 * payouts and keeps everything already paid. Every route is scoped to the key's tenant: another
 * tenant's beneficiary is a 404, like one that does not exist.
 */
export function beneficiaryRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/beneficiaries', async (req, res) => {
    const { tenantId, keyId, label } = requireTenant(req, 'POST /v1/beneficiaries');
    const key = readIdempotencyKey(req);
    const body = parseBody(createBeneficiarySchema, req);
    const { response, replayed } = await withIdempotency(
      deps.db,
      tenantId,
      key,
      fingerprint(req, req.body),
      async (tx) => {
        const now = new Date();
        const [row] = await tx
          .insert(beneficiaries)
          .values({
            id: newId('beneficiary'),
            tenantId,
            type: body.type,
            ...contactColumns(body),
            providerAccounts: body.provider_accounts ?? {},
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        const created = must(row, 'the inserted beneficiary');
        const version = await insertVersion(tx, created.id, 1, accountOf(body), keyId, label, now);
        return { status: 201, body: beneficiaryResource(created, version) };
      },
    );
    res.status(response.status).set('Idempotent-Replayed', String(replayed)).json(response.body);
  });

  router.get('/beneficiaries', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/beneficiaries');
    const q = parseQuery(listBeneficiariesQuery, req);
    const filters: SQL[] = [eq(beneficiaries.tenantId, tenantId)];
    if (q.type) filters.push(eq(beneficiaries.type, q.type));
    if (q.reference_id) filters.push(eq(beneficiaries.referenceId, q.reference_id));
    // A part of the name, any case; the client's % and _ are literal.
    if (q.name) filters.push(sql`strpos(lower(${beneficiaries.name}), lower(${q.name})) > 0`);
    if (q.archived !== undefined) {
      filters.push(q.archived ? isNotNull(beneficiaries.archivedAt) : isNull(beneficiaries.archivedAt));
    }
    if (q.cursor) filters.push(lt(beneficiaries.id, decodeCursor(q.cursor, 'beneficiary')));
    const rows = await deps.db
      .select({ beneficiary: beneficiaries, version: beneficiaryVersions })
      .from(beneficiaries)
      .innerJoin(beneficiaryVersions, currentVersionJoin)
      .where(and(...filters))
      .orderBy(desc(beneficiaries.id))
      .limit(q.limit + 1);
    const listed = page(
      rows.map((r) => ({ id: r.beneficiary.id, r })),
      q.limit,
    );
    const registered = await registrationsOf(
      deps.db,
      listed.data.map(({ id }) => id),
    );
    res.json({
      ...listed,
      data: listed.data.map(({ r }) => beneficiaryResource(r.beneficiary, r.version, registered.get(r.beneficiary.id))),
    });
  });

  router.get('/beneficiaries/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/beneficiaries/:id');
    const { beneficiary, version } = await findBeneficiary(deps.db, tenantId, req.params.id);
    const registered = await registrationsOf(deps.db, [beneficiary.id]);
    res.json(beneficiaryResource(beneficiary, version, registered.get(beneficiary.id)));
  });

  router.get('/beneficiaries/:id/versions', async (req, res) => {
    const { tenantId } = requireTenant(req, 'GET /v1/beneficiaries/:id/versions');
    const { beneficiary } = await findBeneficiary(deps.db, tenantId, req.params.id);
    const versions = await deps.db
      .select()
      .from(beneficiaryVersions)
      .where(eq(beneficiaryVersions.beneficiaryId, beneficiary.id))
      .orderBy(asc(beneficiaryVersions.version));
    res.json({ data: versions.map(beneficiaryVersionResource) });
  });

  router.patch('/beneficiaries/:id', async (req, res) => {
    const { tenantId, keyId, label } = requireTenant(req, 'PATCH /v1/beneficiaries/:id');
    const body = parseBody(updateBeneficiarySchema, req);
    const answer = await deps.db.transaction(async (tx) => {
      // The row lock orders concurrent changes: each new version follows the one before it.
      const { beneficiary, version } = await findBeneficiary(tx, tenantId, req.params.id, true);
      if (beneficiary.archivedAt) {
        throw problems.conflict(
          'beneficiary_archived',
          `Beneficiary ${beneficiary.id} is archived and can no longer be changed.`,
        );
      }
      const now = new Date();
      const account = newAccount(body, version.account);
      const next = account
        ? await insertVersion(tx, beneficiary.id, version.version + 1, account, keyId, label, now)
        : version;
      const [updated] = await tx
        .update(beneficiaries)
        .set({ ...contactChanges(body), currentVersion: next.version, updatedAt: now })
        .where(eq(beneficiaries.id, beneficiary.id))
        .returning();
      const registered = await registrationsOf(tx, [beneficiary.id]);
      return beneficiaryResource(must(updated, 'the updated beneficiary'), next, registered.get(beneficiary.id));
    });
    res.json(answer);
  });

  /** Archives: no new payouts; payouts made keep their beneficiary and version. A retry answers the same. */
  router.delete('/beneficiaries/:id', async (req, res) => {
    const { tenantId } = requireTenant(req, 'DELETE /v1/beneficiaries/:id');
    expectNoBody(req);
    const { beneficiary, version } = await findBeneficiary(deps.db, tenantId, req.params.id);
    const now = new Date();
    const [archived] = await deps.db
      .update(beneficiaries)
      .set({ archivedAt: now, updatedAt: now })
      .where(and(eq(beneficiaries.id, beneficiary.id), isNull(beneficiaries.archivedAt)))
      .returning();
    const registered = await registrationsOf(deps.db, [beneficiary.id]);
    res.json(beneficiaryResource(archived ?? beneficiary, version, registered.get(beneficiary.id)));
  });

  return router;
}

const currentVersionJoin = and(
  eq(beneficiaryVersions.beneficiaryId, beneficiaries.id),
  eq(beneficiaryVersions.version, beneficiaries.currentVersion),
);

async function findBeneficiary(
  db: Executor,
  tenantId: string,
  id: string,
  forUpdate = false,
): Promise<{ beneficiary: BeneficiaryRow; version: BeneficiaryVersionRow }> {
  if (!isId(id, 'beneficiary')) throw problems.notFound('The beneficiary');
  const query = db
    .select({ beneficiary: beneficiaries, version: beneficiaryVersions })
    .from(beneficiaries)
    .innerJoin(beneficiaryVersions, currentVersionJoin)
    .where(and(eq(beneficiaries.id, id), eq(beneficiaries.tenantId, tenantId)));
  const [row] = forUpdate ? await query.for('update', { of: beneficiaries }) : await query;
  if (!row) throw problems.notFound('The beneficiary');
  return row;
}

async function insertVersion(
  tx: Executor,
  beneficiaryId: string,
  version: number,
  account: BeneficiaryAccount,
  keyId: string,
  label: string | null | undefined,
  now: Date,
): Promise<BeneficiaryVersionRow> {
  const [row] = await tx
    .insert(beneficiaryVersions)
    .values({ beneficiaryId, version, account, createdByKeyId: keyId, createdByLabel: label ?? null, createdAt: now })
    .returning();
  return must(row, 'the inserted beneficiary version');
}

function accountOf(body: Pick<CreateBeneficiaryBody, 'bank_account' | 'upi_address'>): BeneficiaryAccount {
  if (body.upi_address !== undefined) return { upi_address: body.upi_address };
  const bank = must(body.bank_account, 'a bank account (the schema requires one of the two)');
  return Object.fromEntries(Object.entries(bank).filter(([, v]) => v !== undefined)) as BeneficiaryAccount;
}

/** The account a PATCH sets, or null when it sets none or the one already current (no new version). */
function newAccount(body: UpdateBeneficiaryBody, current: BeneficiaryAccount): BeneficiaryAccount | null {
  if (body.bank_account === undefined && body.upi_address === undefined) return null;
  const account = accountOf(body);
  const same = JSON.stringify(Object.entries(account).sort()) === JSON.stringify(Object.entries(current).sort());
  return same ? null : account;
}

function contactColumns(body: CreateBeneficiaryBody) {
  return {
    name: body.name,
    firstName: body.first_name ?? null,
    lastName: body.last_name ?? null,
    email: body.email ?? null,
    phone: body.phone ?? null,
    country: body.country ?? null,
    address: body.address ?? null,
    referenceId: body.reference_id ?? null,
    metadata: body.metadata ?? null,
  };
}

/** Only what was sent: `undefined` leaves a column as it is, `null` clears it. */
function contactChanges(body: UpdateBeneficiaryBody): Partial<BeneficiaryRow> {
  const changes: Partial<BeneficiaryRow> = {
    type: body.type,
    name: body.name,
    firstName: body.first_name,
    lastName: body.last_name,
    email: body.email,
    phone: body.phone,
    country: body.country,
    address: body.address,
    referenceId: body.reference_id,
    metadata: body.metadata,
    providerAccounts: body.provider_accounts,
  };
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
}
