export * from './errors.ts';
export * from './http.ts';
export * from './signatures.ts';
export * from './types.ts';
