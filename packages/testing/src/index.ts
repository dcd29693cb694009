export * from './database.ts';
export * from './http.ts';
export * from './must.ts';
export * from './ports.ts';
export * from './processes.ts';
export * from './redis.ts';
export * from './services.ts';
export * from './wait.ts';
