/** What the global setup hands every test file (see global-setup.ts and database.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

export {};
