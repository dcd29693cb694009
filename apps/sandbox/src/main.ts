import { readConfigOrExit } from '@payouts/config';
import { createLogger } from '@payouts/observability';
import { onParentGone } from '@payouts/runtime';
import { loadEnv } from './env.ts';
import { startSandbox } from './server.ts';
import { SIMULATORS } from './simulators.ts';

const env = readConfigOrExit('sandbox', loadEnv);
const logger = createLogger({ name: 'sandbox', level: env.LOG_LEVEL });
const values: Readonly<Record<string, unknown>> = env;
/** A variable of the sandbox's environment: every simulator's are strings, with defaults. */
const text = (name: string) => String(values[name]);
const simulators = Object.fromEntries(
  SIMULATORS.map((s) => {
    const webhooks =
      s.webhooks && env.SANDBOX_WEBHOOK_BASE_URL
        ? { config: { webhookUrl: `${env.SANDBOX_WEBHOOK_BASE_URL}/v1/webhooks/${s.id}` } }
        : {};
    return [s.key, { ...s.credentials(text), ...webhooks }];
  }),
);
const sandbox = await startSandbox({ port: env.SANDBOX_PORT, logger, stateDir: env.SANDBOX_STATE_DIR, ...simulators });
logger.info(
  { url: sandbox.url, razorpayx: `${sandbox.url}/razorpayx`, admin: `${sandbox.url}/_admin` },
  'sandbox listening',
);

let stopping = false;
const stop = (signal: string) => {
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
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop(signal));
// Started by `pnpm start`'s supervisor, which died without stopping us.
onParentGone(() => stop('parent gone'));
