import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { PAYOUT_STATUSES, PROVIDER_IDS } from '@payouts/core';
import {
  approvalListQuery,
  approvalListSchema,
  approvalPolicyResource,
  approvalPolicySchema,
  batchDecisionSchema,
  payoutDecisionSchema,
  rejectBodySchema,
} from './approval-schemas.ts';
import {
  beneficiaryListSchema,
  beneficiarySavedSchema,
  beneficiaryVersionListSchema,
  createBeneficiarySchema,
  listBeneficiariesQuery,
  updateBeneficiarySchema,
} from './beneficiary-schemas.ts';
import { EXPORT_COLUMNS } from './payout-export.ts';
import { PROVIDER_EXAMPLES } from './provider-examples.ts';
import { registerAuditPaths } from './routes/audit.ts';
import { batchJsonBody, batchOptions } from './routes/batches.ts';
import { consoleLoginSchema, consoleSessionSchema } from './routes/console.ts';
import { registerDowntimePaths } from './routes/downtimes.ts';
import { registerOperationPaths } from './routes/operations.ts';
import { registerProviderHealthPaths } from './routes/providers.ts';
import { registerReconciliationPaths } from './routes/reconciliations.ts';
import { registerResolutionPaths } from './routes/resolutions.ts';
import { routingRulesResource, routingRulesSchema } from './routing-schemas.ts';
import {
  apiKeySchema,
  apiKeySummarySchema,
  balancesSchema,
  batchPayoutSchema,
  batchPayoutsQuery,
  batchPreviewSchema,
  batchSchema,
  batchStatusSchema,
  createApiKeySchema,
  createFundingSchema,
  createPayoutFields,
  createPayoutSchema,
  createTenantSchema,
  fundingSchema,
  ledgerReportSchema,
  listPayoutsQuery,
  listTenantsQuery,
  payoutEventSchema,
  payoutFiltersQuery,
  payoutListSchema,
  payoutSchema,
  problemSchema,
  requestSigningBodySchema,
  requestSigningSchema,
  tenantListSchema,
  tenantSchema,
  tenantSettingsSchema,
  updateTenantSettingsSchema,
  webhookReceiptSchema,
  z,
} from './schemas.ts';
import {
  adminListDeliveriesQuery,
  createWebhookEndpointSchema,
  listDeliveriesQuery,
  listEndpointsQuery,
  rotateSecretSchema,
  updateWebhookEndpointSchema,
  webhookDeliverySchema,
  webhookEndpointSchema,
} from './webhook-schemas.ts';

/**
 * What each problem status means wherever it is not said more precisely. Every status a route can
 * answer is listed on it, including those that come from the layers in front of every route
 * (app.ts): authentication (401), the key's rate limit (429), body parsing (400, 413, 415), Node's
 * own header limit (431), an unreachable database (503) and a bug (500).
 */
const PROBLEM_TEXT: Record<number, string> = {
  400: 'Bad request: a body that is not JSON (`malformed_json`), text Postgres cannot store (`invalid_text`: a lone UTF-16 surrogate or NUL), a `__proto__` key (`reserved_key`), or a bad query parameter (`invalid_query`, `invalid_cursor`); `errors` names the field',
  401: 'No API key, an unknown or revoked one (`unauthorized`), or a signing tenant’s request without a valid signature (`signature_missing`, `signature_timestamp_stale`, `signature_invalid`, `signature_replayed`)',
  404: 'Not found, or another tenant’s (`not_found`)',
  409: 'A request with the same Idempotency-Key is still being processed (`idempotency_key_in_use`)',
  413: 'Body over 1 MB (`body_too_large`)',
  415: 'A body that is not application/json (`unsupported_media_type`, field `Content-Type`)',
  422: 'Validation failed (`validation_failed`); `errors` names each field',
  429: 'Over the API key’s rate limit (`rate_limited`): see Retry-After and the RateLimit-* headers',
  431: 'Request line and headers over 16 KB (`headers_too_large`), answered before any route runs',
  500: 'Something went wrong on our side (`internal_error`); the request may be retried',
  503: 'Postgres (or Redis, where the route needs it) cannot be reached (`service_unavailable`, `Retry-After: 5`): retry the same request',
};
const CSRF_403 = 'a console session’s write without its X-CSRF-Token or from another Origin (`csrf_failed`)';
const FORBIDDEN = {
  tenant: `An operator key on a tenant route (\`forbidden\`), a tenant key whose role may not use the route (\`role_forbidden\`), or ${CSRF_403}`,
  operator: `A tenant key on an operator route (\`forbidden\`), or ${CSRF_403}`,
};
const IDEMPOTENT_400 = `${PROBLEM_TEXT[400]}; the Idempotency-Key header missing (\`idempotency_key_missing\`) or not 1–255 visible ASCII characters (\`idempotency_key_invalid\`)`;
const IDEMPOTENT_422 = `${PROBLEM_TEXT[422]}; or the Idempotency-Key was used with another request (\`idempotency_key_reused\`)`;

const problem = (description: string): ResponseConfig => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});
const json = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});

type Statuses = Partial<Record<number, string | ResponseConfig>>;

const RATE_LIMIT_HEADERS = {
  'Retry-After': { description: 'Seconds until a retry may pass.', schema: { type: 'integer' as const } },
  'RateLimit-Limit': { description: 'The key’s burst.', schema: { type: 'integer' as const } },
  'RateLimit-Remaining': { description: 'Requests left in the burst.', schema: { type: 'integer' as const } },
  'RateLimit-Reset': { description: 'Seconds until the burst is full again.', schema: { type: 'integer' as const } },
};

/** An answer stored under an Idempotency-Key: a retry gets it again, saying so. */
const replayable = (config: ResponseConfig): ResponseConfig => ({
  ...config,
  headers: {
    'Idempotent-Replayed': {
      description: '`true` when this is the stored answer to an earlier request with the same key and body.',
      schema: { type: 'string', enum: ['true', 'false'] },
    },
  },
});

/**
 * The problem answers of a `/v1` route behind an API key: those every such route can give, and
 * `extra` (a status with the default text, or one said precisely for this route).
 */
function keyed(access: 'tenant' | 'operator', method: string, extra: Statuses = {}): Record<number, ResponseConfig> {
  const codes: Statuses = { 400: undefined, 401: undefined, 403: FORBIDDEN[access], 413: undefined, 429: undefined };
  // requireJsonBody (validation.ts): a body that is not JSON, on any method that may carry one.
  if (method !== 'get') codes[415] = undefined;
  return answers({ ...codes, 431: undefined, 500: undefined, 503: undefined, ...extra });
}

function answers(statuses: Statuses): Record<number, ResponseConfig> {
  const out: Record<number, ResponseConfig> = {};
  for (const [code, given] of Object.entries(statuses)) {
    const status = Number(code);
    const response =
      given === undefined || typeof given === 'string'
        ? problem(given ?? PROBLEM_TEXT[status] ?? `HTTP ${status}`)
        : given;
    out[status] = status === 429 ? { ...response, headers: RATE_LIMIT_HEADERS } : response;
  }
  return out;
}

/** The pieces every group of routes registers with (openapi.ts, routes/operations.ts). */
interface OpenApiHelpers {
  security: Record<string, string[]>[];
  idempotencyKey: z.ZodType;
  /** A create's answer stored under its Idempotency-Key, and the key's own 400 and 422 texts. */
  replayable: typeof replayable;
  idempotent: { 400: string; 422: string };
  keyed: typeof keyed;
  problem: typeof problem;
  json: typeof json;
}

/** The OpenAPI document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `sk_test_…` / `sk_live_…` (a tenant’s) or an operator key.',
  });
  // Either the key, or a console session made from it (registerConsolePaths).
  const security = [{ [bearer.name]: [] }, { consoleSession: [] }];
  const idempotencyKey = z
    .string()
    .min(1)
    .max(255)
    .openapi({ description: 'IETF Idempotency-Key: same key + same body replays the first response.' });
  const h: OpenApiHelpers = {
    security,
    idempotencyKey,
    replayable,
    idempotent: { 400: IDEMPOTENT_400, 422: IDEMPOTENT_422 },
    keyed,
    problem,
    json,
  };
  const payoutId = z.object({ id: z.string().openapi({ example: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const tenantId = z.object({ id: z.string().openapi({ example: 'ten_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const batchId = z.object({ id: z.string().openapi({ example: 'bat_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const cancelAnswers = (access: 'tenant' | 'operator') =>
    keyed(access, 'post', {
      200: json(payoutSchema, 'Cancelled: by this call, or already (a retry of a cancel that took effect)'),
      202: json(payoutSchema, 'Not applied within 10 s (the reconciler is slow or down): the cancel stays queued'),
      404: undefined,
      409: 'Not cancellable (`payout_not_cancellable`): the payout is at its provider (or claimed for it), or final',
      422: 'A body was sent (`validation_failed`, field `body`): this request takes none',
      503: 'The cancel was lost before it was applied (`service_unavailable`); nothing changed: retry it. Or the database cannot be reached',
    });

  registry.registerPath({
    method: 'post',
    path: '/v1/payouts',
    summary: 'Create a payout',
    description:
      'Validated against our rules and then the provider’s own (docs/api.md, docs/providers.md) before anything is stored. The examples are bodies the sandbox accepts, one per provider. With `scheduled_for` the payout is created `scheduled`: nothing is held or sent until that time, when it enters the normal flow (docs/api.md#scheduled-payouts); it sends `payout.scheduled`.',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: createPayoutSchema,
            examples: Object.fromEntries(
              Object.entries(PROVIDER_EXAMPLES).map(([provider, example]) => [provider, example]),
            ),
          },
        },
      },
    },
    responses: keyed('tenant', 'post', {
      202: replayable(
        json(
          payoutSchema,
          'Accepted: stored and queued; stored `scheduled` for its `scheduled_for`; or stored in `pending_approval` when the approval policy catches it or its saved beneficiary is in cooling-off (a replay of the same key and body answers the same, even once its time has passed)',
        ),
      ),
      400: IDEMPOTENT_400,
      409: `${PROBLEM_TEXT[409]}; or a payout of the tenant that is not failed, rejected or cancelled already has this reference_id (\`duplicate_reference\`, \`existing_payout_id\` names it; nothing was created)`,
      422: `${IDEMPOTENT_422}. Includes the provider’s own rules (e.g. RazorpayX’s purpose list), both or neither of beneficiary and beneficiary_id, a beneficiary_id that is unknown or archived, and \`scheduled_for\` not an RFC 3339 date-time with an offset, not in the future, or more than 90 days ahead.`,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts',
    summary: 'List payouts, newest first, filtered',
    security,
    request: { query: listPayoutsQuery },
    responses: keyed('tenant', 'get', { 200: json(payoutListSchema, 'A page of payouts') }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts/export.csv',
    summary: 'The payouts the filters select, newest first, as CSV (streamed, any size)',
    description: `Columns: ${EXPORT_COLUMNS.join(', ')}. Amounts, fees and tax in minor units; account numbers masked.`,
    security,
    request: { query: payoutFiltersQuery },
    responses: keyed('tenant', 'get', {
      200: { description: 'The CSV, streamed', content: { 'text/csv': { schema: z.string() } } },
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts/{id}',
    summary: 'Get a payout',
    security,
    request: { params: payoutId },
    responses: keyed('tenant', 'get', { 200: json(payoutSchema, 'The payout'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts/{id}/events',
    summary: 'A payout’s history: every transition asked for, applied or not',
    security,
    request: { params: payoutId },
    responses: keyed('tenant', 'get', {
      200: json(z.object({ data: z.array(payoutEventSchema) }), 'The history, oldest first'),
      404: undefined,
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/payouts/{id}/cancel',
    summary: 'Cancel a payout not yet sent to its provider',
    security,
    request: { params: payoutId },
    responses: cancelAnswers('tenant'),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/balances',
    summary: 'Wallet balances per currency',
    security,
    responses: keyed('tenant', 'get', { 200: json(balancesSchema, 'Balances') }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/settings',
    summary: 'Your settings',
    security,
    responses: keyed('tenant', 'get', { 200: json(tenantSettingsSchema, 'The settings') }),
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/settings',
    summary: 'Change your settings (only those sent)',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: updateTenantSettingsSchema } } } },
    responses: keyed('tenant', 'patch', { 200: json(tenantSettingsSchema, 'The settings now'), 422: undefined }),
  });

  registerBeneficiaryPaths(registry, h);
  registerBatchPaths(registry, h, batchId);
  registerApprovalPaths(registry, h, payoutId, batchId);
  registerAdminPaths(registry, h, tenantId);
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/payouts/{id}/cancel',
    summary: 'Cancel any tenant’s payout not yet sent to its provider (operator); recorded',
    security,
    request: { params: payoutId },
    responses: cancelAnswers('operator'),
  });
  registerOperationPaths(registry, h);
  registerResolutionPaths(registry, h);
  registerDowntimePaths(registry, h);
  registerProviderHealthPaths(registry, h);
  registerAuditPaths(registry, h);
  registerReconciliationPaths(registry, h);
  registerWebhookEndpointPaths(registry, h);
  registerServicePaths(registry);
  registerConsolePaths(registry);

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Payout engine API',
      version: '1.0.0',
      description: `Payouts through RazorpayX, Krayon, a Thai gateway and DRUO, exactly once. Payout states: ${PAYOUT_STATUSES.join(', ')}. Amounts are integers in minor units, at most 10^15 (and so is every balance and total). Errors are application/problem+json. Examples of a payout for each provider are on \`POST /v1/payouts\`.`,
    },
    servers: [{ url: '/' }],
  });
}

function registerApprovalPaths(
  registry: OpenAPIRegistry,
  h: OpenApiHelpers,
  payoutId: z.ZodObject,
  batchId: z.ZodObject,
): void {
  const { security, keyed, json } = h;
  registry.registerPath({
    method: 'get',
    path: '/v1/approval-policy',
    summary: 'Your approval policy (admin keys)',
    security,
    responses: keyed('tenant', 'get', { 200: json(approvalPolicyResource, 'The policy') }),
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/approval-policy',
    summary: 'Replace your approval policy (admin keys); `rules: []` turns approvals off',
    description:
      'A payout (kind `payout`) or a batch’s total per currency (kind `batch`) of at least `min_amount` in its currency needs `approvals_required` distinct approvals (the most any matching rule asks) before anything is held or sent. Undecided after `expires_after_hours` it is cancelled (`approval_expired`).',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: approvalPolicySchema } } } },
    responses: keyed('tenant', 'put', { 200: json(approvalPolicyResource, 'The policy now'), 422: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/routing-rules',
    summary: 'Your routing rules (admin keys)',
    security,
    responses: keyed('tenant', 'get', { 200: json(routingRulesResource, 'The rules') }),
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/routing-rules',
    summary: 'Replace your routing rules (admin keys); `rules: []` goes back to each currency’s provider',
    description:
      'For a payout that names no `provider`, the first rule whose `match` it satisfies gives its route: the providers in order, cut at creation to those whose rules (rails, limits, required fields) the payout satisfies (none: 422). It moves to the next provider only while nothing was sent to the current one (gate closed or downtime before sending), or after the current one confirmed a failure whose code is in `fallback_on`; never after an unknown outcome. A provider not enabled here, one that does not pay the rule’s currency, `amount_min` above `amount_max` or no providers is a 422 naming the field.',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: routingRulesSchema } } } },
    responses: keyed('tenant', 'put', { 200: json(routingRulesResource, 'The rules now'), 422: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/approvals',
    summary: 'Payouts and batches waiting for approval (or decided), newest first',
    security,
    request: { query: approvalListQuery },
    responses: keyed('tenant', 'get', { 200: json(approvalListSchema, 'The approval requests') }),
  });
  const decisionAnswers = (schema: z.ZodType, what: string, decision: 'approve' | 'reject') =>
    keyed('tenant', 'post', {
      200: json(
        schema,
        decision === 'approve'
          ? `The approval was counted (or was already: the same approver counts once). With enough approvals the ${what} is released into the normal flow.`
          : `Rejected: the ${what} is cancelled with failure.code approval_rejected.`,
      ),
      403: `${FORBIDDEN.tenant}; or the approver created the ${what} (\`approver_is_maker\`: the same key or the same label)`,
      404: undefined,
      409: `The ${what} is not waiting for approval any more (\`not_pending_approval\`: \`current_status\` says what it is now)${what === 'payout' ? '; or it waits with its batch, which is approved or rejected as a whole (`decided_with_batch`, `batch_id` names it)' : ''}`,
      422:
        decision === 'approve'
          ? what === 'batch'
            ? 'A body was sent (`validation_failed`, field `body`); or the wallet cannot cover the run any more (`insufficient_funds`, the approval not recorded)'
            : 'A body was sent (`validation_failed`, field `body`): this request takes none'
          : 'No reason, or not a text of 1 to 500 characters (`validation_failed`, field `reason`)',
    });
  for (const decision of ['approve', 'reject'] as const) {
    const body =
      decision === 'reject'
        ? { body: { required: true, content: { 'application/json': { schema: rejectBodySchema } } } }
        : {};
    registry.registerPath({
      method: 'post',
      path: `/v1/payouts/{id}/${decision}`,
      summary:
        decision === 'approve' ? 'Approve a payout waiting for approval' : 'Reject a payout waiting for approval',
      security,
      request: { params: payoutId, ...body },
      responses: decisionAnswers(payoutDecisionSchema, 'payout', decision),
    });
    registry.registerPath({
      method: 'post',
      path: `/v1/payout-batches/{id}/${decision}`,
      summary:
        decision === 'approve'
          ? 'Approve a batch waiting for approval (one decision for the whole run; the pre-flight runs again)'
          : 'Reject a batch waiting for approval (every payout of it is cancelled)',
      security,
      request: { params: batchId, ...body },
      responses: decisionAnswers(batchDecisionSchema, 'batch', decision),
    });
  }
}

function registerBatchPaths(registry: OpenAPIRegistry, h: OpenApiHelpers, batchId: z.ZodObject): void {
  const { security } = h;
  registry.registerPath({
    method: 'post',
    path: '/v1/payout-batches',
    summary: 'Upload a run of payouts (JSON or CSV), validated row by row and checked against the wallet',
    description:
      'JSON `{items, mode, on_insufficient_funds, scheduled_for, dry_run}` or a `text/csv` body with the options in the query string (docs/batches.md lists the columns). Up to 100,000 rows and 128 MB. With `dry_run` the upload is judged exactly as it would be and nothing is stored: the answer is a preview. With `scheduled_for` every payout of the run is created `scheduled` (a row may not carry its own): the wallet pre-flight is reported in `preflight` instead of refusing the run, and runs again when the run is due; it sends `batch.scheduled` and `payout.scheduled` for each payout.',
    security,
    request: {
      headers: z.object({
        'Idempotency-Key': h.idempotencyKey
          .optional()
          .openapi({ description: 'Required, except for a dry run (which stores nothing).' }),
      }),
      query: batchOptions.partial().openapi({ description: 'CSV uploads only: the options of a JSON body.' }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: batchJsonBody.extend({
              items: z
                .array(createPayoutFields.omit({ scheduled_for: true }))
                .min(1)
                .max(100_000),
            }),
          },
          'text/csv': { schema: z.string().openapi({ example: 'amount,currency,method,purpose,beneficiary_name' }) },
        },
      },
    },
    responses: keyed('tenant', 'post', {
      200: json(batchPreviewSchema, 'A dry run: the preview; nothing was stored'),
      202: replayable(
        json(
          batchSchema,
          'Stored and queued, or stored `scheduled` (a replay of the same key and body answers the same)',
        ),
      ),
      400: `${IDEMPOTENT_400}; a CSV that cannot be read (\`malformed_csv\`)`,
      409: `${PROBLEM_TEXT[409]}; or a payout with one of the run’s references was created while the run was being stored (\`duplicate_reference\`; nothing was stored, uploading again reports the row)`,
      413: 'Over 128 MB (`body_too_large`)',
      415: 'Neither application/json nor text/csv (`unsupported_media_type`)',
      422: `${IDEMPOTENT_422}; rows refused in all_or_nothing mode, or none valid (\`batch_invalid\`, with \`row_errors\`); the wallet cannot cover the run (\`insufficient_funds\`, never for a scheduled run); \`scheduled_for\` not an RFC 3339 date-time with an offset, not in the future, more than 90 days ahead, or given on a row; a currency totals more than 10^15 minor units (\`batch_total_too_large\`)`,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payout-batches/{id}',
    summary: 'A batch with its live progress: counts per state, amounts per currency',
    security,
    request: { params: batchId },
    responses: keyed('tenant', 'get', { 200: json(batchStatusSchema, 'The batch'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payout-batches/{id}/payouts',
    summary: 'A batch’s payouts in upload order',
    security,
    request: { params: batchId, query: batchPayoutsQuery },
    responses: keyed('tenant', 'get', {
      200: json(
        z.object({
          data: z.array(batchPayoutSchema),
          has_more: z.boolean(),
          next_after_row: z.number().int().nullable().openapi({ description: 'Pass back as `after_row`.' }),
        }),
        'A page of payouts',
      ),
      404: undefined,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payout-batches/{id}/results.csv',
    summary: 'One line per uploaded row, refused rows included (docs/batches.md)',
    security,
    request: { params: batchId },
    responses: keyed('tenant', 'get', {
      200: {
        description: 'The results, streamed',
        content: {
          'text/csv': {
            schema: z.string().openapi({
              example:
                'row,reference_id,payout_id,status,amount,currency,provider,fees,tax,failure_code,failure_message,utr',
            }),
          },
        },
      },
      404: undefined,
    }),
  });
}

function registerAdminPaths(registry: OpenAPIRegistry, h: OpenApiHelpers, tenantId: z.ZodObject): void {
  const { security } = h;
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants',
    summary: 'Create a tenant (operator)',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: { required: true, content: { 'application/json': { schema: createTenantSchema } } },
    },
    responses: keyed('operator', 'post', {
      201: replayable(json(tenantSchema, 'Created')),
      400: IDEMPOTENT_400,
      409: undefined,
      422: IDEMPOTENT_422,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/tenants',
    summary: 'List tenants (operator), newest first',
    security,
    request: { query: listTenantsQuery },
    responses: keyed('operator', 'get', { 200: json(tenantListSchema, 'A page of tenants') }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants/{id}/api-keys',
    summary: 'Issue an API key for a tenant (operator); the key is shown once',
    security,
    request: {
      params: tenantId,
      body: { content: { 'application/json': { schema: createApiKeySchema } } },
    },
    responses: keyed('operator', 'post', { 201: json(apiKeySchema, 'Issued'), 404: undefined, 422: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/tenants/{id}/api-keys',
    summary: "A tenant's API keys (operator): prefix, role, last use, revocation; never the key or its hash",
    security,
    request: { params: tenantId },
    responses: keyed('operator', 'get', {
      200: json(z.object({ data: z.array(apiKeySummarySchema) }), 'The keys'),
      404: undefined,
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/api-keys/{id}/revoke',
    summary: 'Revoke an API key for good (operator); idempotent, recorded as an operator action',
    security,
    request: { params: z.object({ id: z.string() }) },
    responses: keyed('operator', 'post', {
      200: json(
        z.object({ ...apiKeySummarySchema.shape, tenant_id: z.string().nullable() }).openapi('RevokedApiKey'),
        'Revoked',
      ),
      404: undefined,
      409: 'An operator key cannot revoke itself (`api_key_in_use`)',
      422: 'A body was sent (`validation_failed`, field `body`): this request takes none',
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants/{id}/request-signing',
    summary:
      'Turn request signing on (a new secret, shown once) or off for a tenant (operator). Signed requests carry X-Signature-Timestamp and X-Signature: v1=HMAC-SHA256(secret, "<timestamp>.<METHOD>.<path?query>.<raw body>"); see docs/security.md',
    security,
    request: {
      params: tenantId,
      body: { required: true, content: { 'application/json': { schema: requestSigningBodySchema } } },
    },
    responses: keyed('operator', 'post', {
      200: json(requestSigningSchema, 'The new setting'),
      404: undefined,
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants/{id}/fundings',
    summary: 'Fund a tenant wallet (operator); idempotent on reference',
    security,
    request: {
      params: tenantId,
      body: { required: true, content: { 'application/json': { schema: createFundingSchema } } },
    },
    responses: keyed('operator', 'post', {
      201: json(fundingSchema, 'Funded'),
      200: json(fundingSchema, 'This reference had funded already, with this amount and currency: nothing changes'),
      202: json(fundingSchema, 'Not confirmed within 10 s: the funding still applies; a retry says which'),
      404: undefined,
      409: 'The reference funded another amount or currency (`funding_reference_reused`, field `reference`)',
      422: 'Validation failed (`validation_failed`, `errors` names each field), or the wallet would hold more than 10^15 minor units (`balance_limit_exceeded`, field `amount`); nothing is written',
      503: 'The funding was lost before it was applied (`service_unavailable`); nothing changed: retry it. Or the database cannot be reached',
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/tenants/{id}/payouts',
    summary: 'A tenant’s payouts, newest first, with the same filters as GET /v1/payouts (operator)',
    security,
    request: { params: tenantId, query: listPayoutsQuery },
    responses: keyed('operator', 'get', { 200: json(payoutListSchema, 'A page of payouts'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/tenants/{id}/balances',
    summary: 'A tenant’s wallet balances per currency (operator)',
    security,
    request: { params: tenantId },
    responses: keyed('operator', 'get', { 200: json(balancesSchema, 'Balances'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/ledger/verify',
    summary:
      'Check the ledger’s invariants (operator): each transaction sums to zero, balances equal their entries, no wallet below zero nor beyond 2^53 − 1, held equals open holds',
    security,
    responses: keyed('operator', 'get', {
      200: json(ledgerReportSchema, 'Every invariant holds'),
      500: {
        description: 'An invariant is broken: `problems` says which (or, as problem+json, a failure of our own)',
        content: {
          'application/json': { schema: ledgerReportSchema },
          'application/problem+json': { schema: problemSchema },
        },
      },
    }),
  });
}

/**
 * The entries of the webhook endpoint and delivery routes (routes/webhook-endpoints.ts,
 * routes/webhook-deliveries.ts) and of the provider webhooks (routes/webhooks.ts).
 */
function registerWebhookEndpointPaths(registry: OpenAPIRegistry, h: OpenApiHelpers): void {
  const id = z.object({ id: z.string().openapi({ example: 'we_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const endpointList = z
    .object({ data: z.array(webhookEndpointSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi('WebhookEndpointList');
  const deliveryList = z
    .object({ data: z.array(webhookDeliverySchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi('WebhookDeliveryList');
  const jsonBody = (schema: z.ZodType, required = true) => ({
    required,
    content: { 'application/json': { schema } },
  });
  const { security } = h;
  const privateTarget =
    'Validation failed; `errors` names each field. `url` also when its host is, or resolves to, a private address (unless WEBHOOK_ALLOW_PRIVATE_TARGETS)';

  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints',
    summary: 'Register a webhook endpoint; its signing secret is shown once',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: jsonBody(createWebhookEndpointSchema),
    },
    responses: keyed('tenant', 'post', {
      201: replayable(json(webhookEndpointSchema, 'Created, with `secret`')),
      400: IDEMPOTENT_400,
      409: '20 enabled endpoints already (`webhook_endpoint_limit`), or the same Idempotency-Key in flight (`idempotency_key_in_use`)',
      422: `${privateTarget}; or the Idempotency-Key was used with another request (\`idempotency_key_reused\`)`,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints',
    summary: 'List webhook endpoints, newest first',
    security,
    request: { query: listEndpointsQuery },
    responses: keyed('tenant', 'get', { 200: json(endpointList, 'A page of endpoints') }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Get a webhook endpoint (without its secret)',
    security,
    request: { params: id },
    responses: keyed('tenant', 'get', { 200: json(webhookEndpointSchema, 'The endpoint'), 404: undefined }),
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Change a webhook endpoint: url, description, enabled_events, disabled',
    description:
      '`disabled: true` ends its pending deliveries at once as `cancelled`. A new `url`, or `disabled: false`, closes its circuit (docs/webhooks.md).',
    security,
    request: { params: id, body: jsonBody(updateWebhookEndpointSchema) },
    responses: keyed('tenant', 'patch', {
      200: json(webhookEndpointSchema, 'Changed'),
      404: undefined,
      422: privateTarget,
    }),
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Disable a webhook endpoint (its deliveries stay on record; the pending ones are cancelled)',
    security,
    request: { params: id },
    responses: keyed('tenant', 'delete', { 200: json(webhookEndpointSchema, 'Disabled'), 404: undefined }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    summary: 'Rotate the signing secret; the previous one keeps signing until it expires',
    security,
    request: {
      params: id,
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: jsonBody(rotateSecretSchema, false),
    },
    responses: keyed('tenant', 'post', {
      200: replayable(json(webhookEndpointSchema, 'Rotated, with the new `secret`')),
      400: IDEMPOTENT_400,
      404: undefined,
      409: undefined,
      422: IDEMPOTENT_422,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}/deliveries',
    summary: 'Deliveries to this endpoint, newest first',
    security,
    request: { params: id, query: listDeliveriesQuery },
    responses: keyed('tenant', 'get', { 200: json(deliveryList, 'A page of deliveries'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/webhook-deliveries',
    summary: 'Webhook deliveries across tenants (operator)',
    security,
    request: { query: adminListDeliveriesQuery },
    responses: keyed('operator', 'get', { 200: json(deliveryList, 'A page of deliveries') }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/webhook-deliveries/{id}/replay',
    summary: 'Send a webhook delivery again now, whatever its status (operator; recorded)',
    description:
      'Back to `pending` with `attempts` 0, due at once — or, behind an earlier version of its subject still pending to the endpoint, waiting for it (`next_attempt_at` null). An open circuit of the endpoint is probed at once.',
    security,
    request: { params: z.object({ id: z.string().openapi({ example: 'whd_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) }) },
    responses: keyed('operator', 'post', {
      200: json(webhookDeliverySchema, 'Queued again'),
      404: undefined,
      409: 'The endpoint is disabled (`webhook_endpoint_disabled`)',
    }),
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/{provider}',
    summary: 'A provider’s webhook (no API key: authenticated by the provider’s signature over the raw body)',
    description:
      'RazorpayX: `X-Razorpay-Signature` (hex HMAC-SHA256 of the body with RAZORPAYX_WEBHOOK_SECRET) and `X-Razorpay-Event-Id`. Thai gateway: `X-Timestamp` and `X-Signature: sha256=…` over `timestamp.body`, within 5 minutes. Each event is stored once per provider event id and triggers a lookup at the provider; the lookup’s answer is what is applied.',
    request: {
      params: z.object({ provider: z.enum(PROVIDER_IDS) }),
      body: {
        required: true,
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('ProviderWebhookEvent') } },
      },
    },
    responses: answers({
      200: json(webhookReceiptSchema, 'Received (also for a repeat, or an event about a payout we do not know)'),
      400: 'A signed event that cannot be read, or holds text Postgres cannot store (`invalid_webhook`); nothing is stored',
      401: 'A bad or missing signature (`invalid_signature`); nothing is stored',
      404: 'No such provider (`not_found`), or one that sends no webhooks (`webhooks_not_supported`)',
      413: undefined,
      431: undefined,
      500: undefined,
      503: undefined,
    }),
  });
}

/**
 * The console's session (console-session.ts): a key exchanged for an HttpOnly, SameSite=Strict
 * cookie. Every `/v1` route accepts that cookie in place of `Authorization` (acting as the key
 * would), and a write made with it needs the session's `X-CSRF-Token`.
 */
function registerConsolePaths(registry: OpenAPIRegistry): void {
  const cookie = registry.registerComponent('securitySchemes', 'consoleSession', {
    type: 'apiKey',
    in: 'cookie',
    name: 'payouts_console',
    description:
      'A console session (POST /v1/console/session). Accepted by every /v1 route when no Authorization header is sent; writes also need X-CSRF-Token (the session’s csrf_token), and an Origin, when sent, of this host.',
  });
  const security = [{ [cookie.name]: [] }];
  const common = { 400: undefined, 413: undefined, 429: undefined, 431: undefined, 500: undefined, 503: undefined };
  const session = (description: string) => ({
    ...json(consoleSessionSchema, description),
    headers: {
      'Set-Cookie': {
        description: '`payouts_console=…; Path=/v1; HttpOnly; SameSite=Strict; Max-Age=…` (and Secure over HTTPS)',
        schema: { type: 'string' as const },
      },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/console/session',
    summary: 'Sign in to the console: an API key for a short session cookie (the key itself is never kept)',
    description:
      'The session acts exactly as the key: same tenant, role and limits; it lasts CONSOLE_SESSION_TTL_SECONDS (30 minutes by default) from sign-in, and ends at once when the key is revoked.',
    request: { body: { required: true, content: { 'application/json': { schema: consoleLoginSchema } } } },
    responses: answers({
      ...common,
      201: session('Signed in: the cookie is set; keep csrf_token in memory for writes'),
      401: 'An unknown or revoked key (`unauthorized`)',
      403: 'The key’s tenant signs its requests (`console_unavailable`): a session would act without a signature; or an Origin that is not this host (`csrf_failed`)',
      415: undefined,
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/console/session',
    summary: 'The current console session: who it acts as, and its CSRF token (after a page reload)',
    security,
    responses: answers({
      ...common,
      200: json(consoleSessionSchema, 'The session'),
      401: 'No session, or it has ended: signed out, expired, or its key revoked (`unauthorized`)',
      403: 'Never: a read needs no CSRF token',
    }),
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/console/session',
    summary: 'Sign out: the session ends and the cookie is cleared (done also when it had already ended)',
    security,
    request: { headers: z.object({ 'X-CSRF-Token': z.string().optional() }) },
    responses: answers({
      ...common,
      204: { description: 'Signed out' },
      401: 'Never: signing out of an ended session is done',
      403: 'A live session without its X-CSRF-Token, or from another Origin (`csrf_failed`); it stays signed in',
      415: undefined,
    }),
  });
}

/** Routes outside `/v1`, without an API key. */
function registerServicePaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers (never touches a dependency)',
    responses: answers({ 200: json(z.object({ status: z.literal('ok') }), 'Alive'), 431: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Postgres and Redis both answer within 2 s',
    responses: answers({
      200: json(
        z.object({ status: z.literal('ready'), postgres: z.literal('ok'), redis: z.literal('ok') }),
        'Ready to take traffic',
      ),
      431: undefined,
      503: 'Postgres or Redis does not answer (`not_ready`); `detail` says which',
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (docs/observability.md); with METRICS_TOKEN set, only with `Bearer <token>`',
    responses: answers({
      200: {
        description: 'The Prometheus text exposition format',
        content: { 'text/plain': { schema: z.string() } },
      },
      401: 'METRICS_TOKEN is set and the request does not carry it (`unauthorized`)',
      431: undefined,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: answers({
      200: json(z.record(z.string(), z.unknown()).openapi({ description: 'OpenAPI 3.1' }), 'The document'),
      431: undefined,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/docs',
    summary: 'This document as an interactive reference (Swagger UI, served by the API itself)',
    responses: answers({
      200: { description: 'The reference page', content: { 'text/html': { schema: z.string() } } },
      431: undefined,
    }),
  });
}

/** Saved beneficiaries (routes/beneficiaries.ts). */
function registerBeneficiaryPaths(registry: OpenAPIRegistry, h: OpenApiHelpers): void {
  const { security, idempotencyKey, keyed, json } = h;
  const id = z.object({ id: z.string().openapi({ example: 'ben_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });
  registry.registerPath({
    method: 'post',
    path: '/v1/beneficiaries',
    summary: 'Save a beneficiary, to pay it by id',
    security,
    request: { headers: z.object({ 'Idempotency-Key': idempotencyKey }), body: jsonBody(createBeneficiarySchema) },
    responses: keyed('tenant', 'post', {
      201: replayable(json(beneficiarySavedSchema, 'Saved (a replay of the same key and body answers the same)')),
      400: IDEMPOTENT_400,
      409: undefined,
      422: IDEMPOTENT_422,
    }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/beneficiaries',
    summary: 'List saved beneficiaries, newest first, filtered',
    security,
    request: { query: listBeneficiariesQuery },
    responses: keyed('tenant', 'get', { 200: json(beneficiaryListSchema, 'A page of beneficiaries') }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/beneficiaries/{id}',
    summary: 'Get a saved beneficiary (its current account, masked)',
    security,
    request: { params: id },
    responses: keyed('tenant', 'get', { 200: json(beneficiarySavedSchema, 'The beneficiary'), 404: undefined }),
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/beneficiaries/{id}/versions',
    summary: 'Every account a beneficiary has had, oldest first: who set it, and when',
    security,
    request: { params: id },
    responses: keyed('tenant', 'get', {
      200: json(beneficiaryVersionListSchema, 'The versions'),
      404: undefined,
    }),
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/beneficiaries/{id}',
    summary: 'Change contact details, or the account (a new version)',
    security,
    request: { params: id, body: jsonBody(updateBeneficiarySchema) },
    responses: keyed('tenant', 'patch', {
      200: json(beneficiarySavedSchema, 'The beneficiary now'),
      404: undefined,
      409: 'The beneficiary is archived (`beneficiary_archived`)',
      422: undefined,
    }),
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/beneficiaries/{id}',
    summary: 'Archive a beneficiary: no new payouts; payouts made keep it',
    security,
    request: { params: id },
    responses: keyed('tenant', 'delete', {
      200: json(beneficiarySavedSchema, 'Archived (now or before)'),
      404: undefined,
      422: 'A body was sent (`validation_failed`, field `body`): this request takes none',
    }),
  });
}
