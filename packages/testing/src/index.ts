export * from './database.ts';
export * from './ports.ts';
export * from './services.ts';
export * from './wait.ts';
