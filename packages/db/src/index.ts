export * from './audit-chain.ts';
export * from './audit-verify.ts';
export * from './bulk.ts';
export * from './client.ts';
export * from './schema/index.ts';
export * from './webhook-deliveries.ts';
