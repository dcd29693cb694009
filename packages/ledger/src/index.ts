export * from './accounts.ts';
export * from './postings.ts';
export * from './store.ts';
export * from './verify.ts';
export * from './provider-float.ts';
