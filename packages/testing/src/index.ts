export * from './database.ts';
export * from './services.ts';
export * from './wait.ts';
