export * from './adapter.ts';
export * from './errors.ts';
export * from './rails.ts';
export * from './registration.ts';
