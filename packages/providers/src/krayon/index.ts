export { createKrayonAdapter, type KrayonConfig } from './adapter.ts';
export * from './registration.ts';
export { KRAYON_PAYMENT_METHODS } from './wire.ts';
