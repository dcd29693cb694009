export * from './api-keys.ts';
export * from './app.ts';
export * from './env.ts';
export * from './openapi.ts';
export * from './provider-examples.ts';
export * from './server.ts';
