/**
 * `pnpm build`: each long-running app (and the migration step) compiled to one JavaScript file that
 * plain `node` runs — what production, the images and the bench run; `tsx` stays for development.
 *
 *   apps/<app>/src/main.ts        → apps/<app>/dist/main.js        (api, worker, reconciler, sandbox)
 *   packages/db/src/migrate-cli.ts → packages/db/dist/migrate-cli.js
 *
 * The workspace packages export their TypeScript source, so each app's bundle carries the @payouts/*
 * code it uses. Third-party packages are not bundled: they stay in node_modules (some load files
 * beside them: PGlite's wasm, swagger-ui's assets). An import the app itself can resolve keeps its
 * name; one that only a workspace package can resolve (pnpm gives each package its own
 * node_modules) becomes the relative path to the file that package would load, so `node` finds
 * exactly what `tsx` would. The build therefore runs where the app runs (the image builds it after
 * its install), and a dist/ is never copied between machines.
 */
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/** What is built, from where to where (relative to the repository root). */
export const BUILDS: readonly { name: string; entry: string; out: string }[] = [
  ...['api', 'worker', 'reconciler', 'sandbox'].map((app) => ({
    name: app,
    entry: `apps/${app}/src/main.ts`,
    out: `apps/${app}/dist/main.js`,
  })),
  { name: 'migrate', entry: 'packages/db/src/migrate-cli.ts', out: 'packages/db/dist/migrate-cli.js' },
];

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function thirdPartyExternal(packageDir: string, outDir: string): Plugin {
  return {
    name: 'third-party-external',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        if (BUILTINS.has(args.path) || args.path.startsWith('node:')) return { path: args.path, external: true };
        // Workspace packages are bundled (their exports point at TypeScript source).
        if (args.path.startsWith('@payouts/')) return undefined;
        const here = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'inner',
        });
        if (here.errors.length > 0) return { errors: here.errors };
        const fromApp = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: packageDir,
          pluginData: 'inner',
        });
        if (fromApp.errors.length === 0 && fromApp.path === here.path) return { path: args.path, external: true };
        const rel = relative(outDir, here.path);
        return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
      });
    },
  };
}

export async function buildAll(log: (line: string) => void = () => {}): Promise<void> {
  for (const target of BUILDS) {
    const t = performance.now();
    const outfile = join(ROOT, target.out);
    const packageDir = resolve(dirname(join(ROOT, target.entry)), '..');
    await build({
      entryPoints: [join(ROOT, target.entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      // Stack traces name the functions as in the source.
      keepNames: true,
      logLevel: 'warning',
      plugins: [thirdPartyExternal(packageDir, dirname(outfile))],
    });
    log(`built ${target.out} (${Math.round(performance.now() - t)} ms)`);
  }
}

if (import.meta.filename === process.argv[1]) {
  await buildAll((line) => process.stdout.write(`${line}\n`));
}
