export * from './accounts.ts';
export * from './postings.ts';
export * from './provider-float.ts';
export * from './store.ts';
export * from './verify.ts';
