import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { PAYOUT_STATUSES } from '@payouts/core';
import { EXPORT_COLUMNS } from './payout-export.ts';
import { registerOperationPaths } from './routes/operations.ts';
import {
  apiKeySchema,
  apiKeySummarySchema,
  balancesSchema,
  createApiKeySchema,
  createFundingSchema,
  createPayoutSchema,
  createTenantSchema,
  fundingSchema,
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

/** The OpenAPI document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const security = [{ [bearer.name]: [] }];
  const idempotencyKey = z
    .string()
    .min(1)
    .max(255)
    .openapi({ description: 'IETF Idempotency-Key: same key + same body replays the first response.' });
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: problemSchema } },
  });
  const errors = {
    400: problem(
      'Malformed request, missing header, text that cannot be stored (`invalid_text`: a lone UTF-16 surrogate or NUL) or a `__proto__` key (`reserved_key`); `errors` names the field',
    ),
    401: problem('Missing or invalid API key'),
    404: problem('Not found (or another tenant’s)'),
    422: problem('Validation failed; `errors` names each field'),
    413: problem('Body over the limit (1 MB; batches 128 MB)'),
    415: problem('A body that is not application/json (batches: or text/csv)'),
    429: problem('Over the API key’s rate limit: see Retry-After and RateLimit-* headers'),
  };
  const json = (schema: z.ZodType, description: string) => ({
    description,
    content: { 'application/json': { schema } },
  });
  const payoutId = z.object({ id: z.string().openapi({ example: 'po_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const cancelResponses = {
    200: json(payoutSchema, 'Cancelled: by this call, or already (a retry of a cancel that took effect)'),
    202: json(payoutSchema, 'Not applied within 10 s (the reconciler is slow or down): the cancel stays queued'),
    ...errors,
    409: problem('Not cancellable: the payout is at its provider (or claimed for it), or final'),
    503: problem('The cancel was lost before it was applied; nothing changed: retry it'),
  };

  registry.registerPath({
    method: 'post',
    path: '/v1/payouts',
    summary: 'Create a payout',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: { content: { 'application/json': { schema: createPayoutSchema } } },
    },
    responses: {
      202: json(payoutSchema, 'Accepted: stored and queued'),
      ...errors,
      409: problem(
        'idempotency_key_in_use: the same Idempotency-Key in flight; or duplicate_reference: a payout that is not failed, rejected or cancelled has this reference_id (`existing_payout_id` names it; nothing was created)',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts',
    summary: 'List payouts, newest first, filtered',
    security,
    request: { query: listPayoutsQuery },
    responses: { 200: json(payoutListSchema, 'A page of payouts'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts/export.csv',
    summary: 'The payouts the filters select, newest first, as CSV (streamed, any size)',
    description: `Columns: ${EXPORT_COLUMNS.join(', ')}. Amounts, fees and tax in minor units; account numbers masked.`,
    security,
    request: { query: payoutFiltersQuery },
    responses: {
      200: { description: 'The CSV, streamed', content: { 'text/csv': { schema: z.string() } } },
      ...errors,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts/{id}',
    summary: 'Get a payout',
    security,
    request: { params: payoutId },
    responses: { 200: json(payoutSchema, 'The payout'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/payouts/{id}/events',
    summary: 'A payout’s history: every transition asked for, applied or not',
    security,
    request: { params: payoutId },
    responses: { 200: json(z.object({ data: z.array(payoutEventSchema) }), 'The history'), ...errors },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/payouts/{id}/cancel',
    summary: 'Cancel a payout not yet sent to its provider',
    security,
    request: { params: payoutId },
    responses: cancelResponses,
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/balances',
    summary: 'Wallet balances per currency',
    security,
    responses: { 200: json(balancesSchema, 'Balances'), 401: errors[401] },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/settings',
    summary: 'Your settings',
    security,
    responses: { 200: json(tenantSettingsSchema, 'The settings'), ...errors, 403: problem('Not a tenant key') },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/settings',
    summary: 'Change your settings (only those sent)',
    security,
    request: { body: { content: { 'application/json': { schema: updateTenantSettingsSchema } } } },
    responses: { 200: json(tenantSettingsSchema, 'The settings now'), ...errors, 403: problem('Not a tenant key') },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants',
    summary: 'Create a tenant (operator)',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: { content: { 'application/json': { schema: createTenantSchema } } },
    },
    responses: { 201: json(tenantSchema, 'Created'), ...errors, 403: problem('Not an operator key') },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/tenants',
    summary: 'List tenants (operator), newest first',
    security,
    request: { query: listTenantsQuery },
    responses: { 200: json(tenantListSchema, 'A page of tenants'), ...errors, 403: problem('Not an operator key') },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants/{id}/api-keys',
    summary: 'Issue an API key for a tenant (operator); the key is shown once',
    security,
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: createApiKeySchema } } },
    },
    responses: { 201: json(apiKeySchema, 'Issued'), ...errors, 403: problem('Not an operator key') },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants/{id}/fundings',
    summary: 'Fund a tenant wallet (operator); idempotent on reference',
    security,
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: createFundingSchema } } },
    },
    responses: {
      201: json(fundingSchema, 'Funded'),
      200: json(fundingSchema, 'This reference had funded already'),
      202: json(fundingSchema, 'Not confirmed within 10 s: the funding still applies; a retry says which'),
      503: problem('The funding was lost before it was applied; nothing changed: retry it'),
      ...errors,
      403: problem('Not an operator key'),
      409: problem('funding_reference_reused: the reference funded another amount or currency'),
      422: problem(
        'validation_failed (`errors` names each field), or balance_limit_exceeded: the wallet would hold more than 10^15 minor units; nothing is written',
      ),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/payouts/{id}/cancel',
    summary: 'Cancel any tenant’s payout not yet sent to its provider (operator); recorded',
    security,
    request: { params: payoutId },
    responses: { ...cancelResponses, 403: problem('Not an operator key') },
  });
  registerWebhookEndpointPaths(registry, { security, idempotencyKey, errors, problem, json });
  registerOperationPaths(registry, { security, errors, problem, json });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/tenants/{id}/api-keys',
    summary: "A tenant's API keys (operator): prefix, role, last use, revocation; never the key or its hash",
    security,
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: json(z.object({ data: z.array(apiKeySummarySchema) }), 'The keys'),
      ...errors,
      403: problem('Not an operator key'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/api-keys/{id}/revoke',
    summary: 'Revoke an API key for good (operator); idempotent, recorded as an operator action',
    security,
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: json(apiKeySummarySchema.extend({ tenant_id: z.string().nullable() }), 'Revoked'),
      ...errors,
      403: problem('Not an operator key'),
      409: problem('An operator key cannot revoke itself'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/tenants/{id}/request-signing',
    summary:
      'Turn request signing on (a new secret, shown once) or off for a tenant (operator). Signed requests carry X-Signature-Timestamp and X-Signature: v1=HMAC-SHA256(secret, "<timestamp>.<METHOD>.<path?query>.<raw body>"); see docs/security.md',
    security,
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: requestSigningBodySchema } } },
    },
    responses: { 200: json(requestSigningSchema, 'The new setting'), ...errors, 403: problem('Not an operator key') },
  });

  for (const path of ['/healthz', '/readyz']) {
    registry.registerPath({
      method: 'get',
      path,
      summary: path === '/healthz' ? 'Liveness' : 'Readiness (Postgres and Redis)',
      responses: { 200: { description: 'OK' }, 503: problem('Not ready') },
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Payout engine API',
      version: '1.0.0',
      description: `Payouts through RazorpayX and others, exactly once. Payout states: ${PAYOUT_STATUSES.join(', ')}. Amounts are integers in minor units, at most 10^15 (and so is every balance and total). Errors are application/problem+json.`,
    },
    servers: [{ url: '/' }],
  });
}

/**
 * The entries of the webhook endpoint and delivery routes (routes/webhook-endpoints.ts,
 * routes/webhook-deliveries.ts); buildOpenApiDocument hands over its shared pieces.
 */
function registerWebhookEndpointPaths(
  registry: OpenAPIRegistry,
  h: {
    security: Record<string, string[]>[];
    idempotencyKey: z.ZodType;
    errors: Record<number, ResponseConfig>;
    problem: (description: string) => ResponseConfig;
    json: (schema: z.ZodType, description: string) => ResponseConfig;
  },
): void {
  const id = z.object({ id: z.string().openapi({ example: 'we_01JDA8Z6B9Y4X3W2V1T0S9R8Q7' }) });
  const endpointList = z
    .object({ data: z.array(webhookEndpointSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi('WebhookEndpointList');
  const deliveryList = z
    .object({ data: z.array(webhookDeliverySchema), has_more: z.boolean(), next_cursor: z.string().nullable() })
    .openapi('WebhookDeliveryList');
  const jsonBody = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  const { security, errors } = h;
  const privateTarget = h.problem(
    'Validation failed; `errors` names each field. `url` also when its host is, or resolves to, a private address (unless WEBHOOK_ALLOW_PRIVATE_TARGETS)',
  );

  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints',
    summary: 'Register a webhook endpoint; its signing secret is shown once',
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: jsonBody(createWebhookEndpointSchema),
    },
    responses: {
      201: h.json(webhookEndpointSchema, 'Created, with `secret`'),
      ...errors,
      409: h.problem('Too many endpoints, or the same Idempotency-Key in flight'),
      422: privateTarget,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints',
    summary: 'List webhook endpoints, newest first',
    security,
    request: { query: listEndpointsQuery },
    responses: { 200: h.json(endpointList, 'A page of endpoints'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Get a webhook endpoint (without its secret)',
    security,
    request: { params: id },
    responses: { 200: h.json(webhookEndpointSchema, 'The endpoint'), ...errors },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Change a webhook endpoint: url, description, enabled_events, disabled',
    description:
      '`disabled: true` ends its pending deliveries at once as `cancelled`. A new `url`, or `disabled: false`, closes its circuit (docs/webhooks.md).',
    security,
    request: { params: id, body: jsonBody(updateWebhookEndpointSchema) },
    responses: { 200: h.json(webhookEndpointSchema, 'Changed'), ...errors, 422: privateTarget },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    summary: 'Disable a webhook endpoint (its deliveries stay on record; the pending ones are cancelled)',
    security,
    request: { params: id },
    responses: { 200: h.json(webhookEndpointSchema, 'Disabled'), ...errors },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    summary: 'Rotate the signing secret; the previous one keeps signing until it expires',
    security,
    request: {
      params: id,
      headers: z.object({ 'Idempotency-Key': h.idempotencyKey }),
      body: jsonBody(rotateSecretSchema),
    },
    responses: { 200: h.json(webhookEndpointSchema, 'Rotated, with the new `secret`'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}/deliveries',
    summary: 'Deliveries to this endpoint, newest first',
    security,
    request: { params: id, query: listDeliveriesQuery },
    responses: { 200: h.json(deliveryList, 'A page of deliveries'), ...errors },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/webhook-deliveries',
    summary: 'Webhook deliveries across tenants (operator)',
    security,
    request: { query: adminListDeliveriesQuery },
    responses: { 200: h.json(deliveryList, 'A page of deliveries'), ...errors, 403: h.problem('Not an operator key') },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/webhook-deliveries/{id}/replay',
    summary: 'Send a webhook delivery again now, whatever its status (operator; recorded)',
    description:
      'Back to `pending` with `attempts` 0, due at once — or, behind an earlier version of its subject still pending to the endpoint, waiting for it (`next_attempt_at` null). An open circuit of the endpoint is probed at once.',
    security,
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: h.json(webhookDeliverySchema, 'Queued again'),
      ...errors,
      403: h.problem('Not an operator key'),
      409: h.problem('The endpoint is disabled'),
    },
  });
}

/** A plain page listing the routes, so /docs works offline, with a link to the full document. */
export function renderDocsPage(doc: ReturnType<typeof buildOpenApiDocument>): string {
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, { summary?: string }>).map(
      ([method, op]) =>
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${path}</code></td><td>${op.summary ?? ''}</td></tr>`,
    ),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>${doc.info.title}</title>
<style>body{font:15px system-ui;margin:2rem;max-width:60rem}td{padding:.3rem .8rem;border-bottom:1px solid #ddd}</style></head>
<body><h1>${doc.info.title}</h1><p>${doc.info.description ?? ''}</p><p>Full document: <a href="/openapi.json">/openapi.json</a></p>
<table>${rows.join('\n')}</table></body></html>`;
}
