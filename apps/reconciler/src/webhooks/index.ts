export * from './backoff.ts';
export * from './deliverer.ts';
export * from './sign.ts';
