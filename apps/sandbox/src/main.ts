import { readConfigOrExit } from '@payouts/config';
import { createLogger } from '@payouts/observability';
import { loadEnv } from './env.ts';
import { startSandbox } from './server.ts';

const env = readConfigOrExit('sandbox', loadEnv);
const logger = createLogger({ name: 'sandbox', level: env.LOG_LEVEL });
const webhooksTo = (provider: string) =>
  env.SANDBOX_WEBHOOK_BASE_URL ? { webhookUrl: `${env.SANDBOX_WEBHOOK_BASE_URL}/v1/webhooks/${provider}` } : {};
const sandbox = await startSandbox({
  port: env.SANDBOX_PORT,
  logger,
  razorpayx: {
    keyId: env.RAZORPAYX_KEY_ID,
    keySecret: env.RAZORPAYX_KEY_SECRET,
    accountNumber: env.RAZORPAYX_ACCOUNT_NUMBER,
    webhookSecret: env.RAZORPAYX_WEBHOOK_SECRET,
    config: webhooksTo('razorpayx'),
  },
  krayon: { apiToken: env.KRAYON_API_TOKEN },
  thaiGateway: {
    apiKey: env.THAI_GATEWAY_API_KEY,
    apiSecret: env.THAI_GATEWAY_API_SECRET,
    config: webhooksTo('thai-gateway'),
  },
  druo: { accessToken: env.DRUO_ACCESS_TOKEN, tenantId: env.DRUO_TENANT_ID },
});
logger.info(
  { url: sandbox.url, razorpayx: `${sandbox.url}/razorpayx`, admin: `${sandbox.url}/_admin` },
  'sandbox listening',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sandbox stopping');
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'sandbox did not close cleanly');
        process.exit(1);
      },
    );
  });
}
