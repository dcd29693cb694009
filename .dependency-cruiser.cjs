// Import rules for the workspace, checked by `pnpm lint`. Workspace imports are resolved to real
// files (`@payouts/db` is packages/db/src/index.ts), so the rules below speak in folders.
//
// Imports flow apps -> domain packages (payouts, ledger, queue) -> db -> core, and:
// - no package imports an app, and no app imports another app (they talk over HTTP and queues);
// - core imports no other workspace package; db imports only core;
// - payouts (the payout rules) imports db and core, and the providers' contract types; the other
//   domain packages may build on it, never the other way round;
// - providers (the adapters) import only core: they see canonical payouts, never the database;
//   a provider folder imports only core, the contract, the kit and itself, never another provider;
// - config, observability and runtime know nothing of payouts: core at most;
// - packages/testing is for test files only;
// - tests/, scripts/ and bench/ start and drive the apps, so they may import any app and its sources;
// - the console (apps/console) is a browser app: it imports no workspace package at all (it knows
//   the API only through the types generated from its OpenAPI document);
// - no cycles, type-only imports included.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles, type-only imports included: a cycle means two modules are one concern or a type lives in the wrong place.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'package-imports-app',
      severity: 'error',
      comment: 'Packages sit below the apps: an app may import a package, never the other way round.',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'app-imports-other-app',
      severity: 'error',
      comment: 'Apps talk over HTTP and queues, not imports: an app never imports another app.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'core-imports-workspace',
      severity: 'error',
      comment: 'core is the bottom layer: it imports no other workspace package.',
      from: { path: '^packages/core/' },
      to: { path: '^(packages|apps)/', pathNot: '^packages/core/' },
    },
    {
      name: 'infrastructure-beyond-core',
      severity: 'error',
      comment: 'config, observability and runtime know nothing of payouts: they may import core at most.',
      from: { path: '^packages/(config|observability|runtime)/' },
      to: { path: '^(packages|apps)/', pathNot: ['^packages/$1/', '^packages/core/'] },
    },
    {
      name: 'db-beyond-core',
      severity: 'error',
      comment: 'db imports only core.',
      from: { path: '^packages/db/' },
      to: { path: '^(packages|apps)/', pathNot: ['^packages/db/', '^packages/core/'] },
    },
    {
      name: 'payouts-beyond-db',
      severity: 'error',
      comment:
        "payouts holds the payout rules: it imports db, core and the providers' contract types, never another domain package or the queues.",
      from: { path: '^packages/payouts/' },
      to: {
        path: '^(packages|apps)/',
        pathNot: [
          '^packages/payouts/',
          '^packages/db/',
          '^packages/core/',
          '^packages/providers/src/(index|contract/)',
          // its tests' databases (testing-outside-tests keeps testing out of the shipped code)
          '^packages/testing/',
        ],
      },
    },
    {
      name: 'providers-beyond-core',
      severity: 'error',
      comment: 'Provider adapters import only core: they see canonical payouts, never the database or the queues.',
      from: { path: '^packages/providers/' },
      to: { path: '^(packages|apps)/', pathNot: ['^packages/providers/', '^packages/core/'] },
    },
    {
      name: 'provider-beyond-kit',
      severity: 'error',
      comment:
        'A provider folder builds on the contract and the kit only: never on another provider, the registry or the list of registrations.',
      from: { path: '^packages/providers/src/([^/]+)/', pathNot: '^packages/providers/src/(contract|kit)/' },
      to: {
        path: '^packages/providers/src/',
        pathNot: ['^packages/providers/src/$1/', '^packages/providers/src/(contract|kit)/'],
      },
    },
    {
      name: 'kit-beyond-contract',
      severity: 'error',
      comment: 'The kit is shared by every provider, so it knows none of them: core and the contract at most.',
      from: { path: '^packages/providers/src/kit/' },
      to: { path: '^(packages|apps)/', pathNot: ['^packages/providers/src/(kit|contract)/', '^packages/core/'] },
    },
    {
      name: 'console-stands-alone',
      severity: 'error',
      comment:
        'The console runs in a browser and talks to the API over HTTP: it imports no workspace package (its API types are generated from the OpenAPI document).',
      from: { path: '^apps/console/' },
      to: { path: '^(packages|apps)/', pathNot: '^apps/console/' },
    },
    {
      name: 'testing-outside-tests',
      severity: 'error',
      comment: 'packages/testing (databases, waits, fixtures) is for tests only, never shipped code.',
      from: {
        path: '^(apps|packages)/',
        pathNot: ['\\.test\\.ts$', '^packages/testing/'],
      },
      to: { path: '^packages/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The console's .tsx files: swc as the cruiser drives it parses TypeScript without JSX. Its .ts
    // files are cruised; its package.json has no workspace dependency, so a .tsx importing one
    // fails its typecheck anyway. Its build output (dist/) is not source.
    exclude: { path: '(^|/)node_modules/|^packages/db/migrations/|^apps/console/(dist/|src/.*\\.tsx$)' },
    // TypeScript 7 has no JavaScript API for the cruiser to parse with; swc reads the sources as written,
    // so `import type` is seen (and counted in cycles) like any other import.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    skipAnalysisNotInRules: true,
  },
};
