export { createDruoAdapter, type DruoConfig } from './adapter.ts';
export * from './registration.ts';
export { DRUO_CURRENCIES, DRUO_METHODS, DRUO_VERSION } from './wire.ts';
