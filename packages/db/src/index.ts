export * from './client.ts';
export * from './queries.ts';
export * from './schema/index.ts';
