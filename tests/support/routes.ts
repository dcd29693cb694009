import type { TestSystem } from './system.ts';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Walks express's router stack: routes with their mount paths joined on. */
function routesOf(stack: Layer[], prefix = ''): { method: string; path: string }[] {
  return stack.flatMap((layer) => {
    const route = layer.route;
    if (route) {
      const paths = Array.isArray(route.path) ? route.path : [route.path];
      return paths.flatMap((p) =>
        Object.keys(route.methods)
          .filter((m) => m !== '_all')
          .map((m) => ({ method: m.toUpperCase(), path: `${prefix}${p}` })),
      );
    }
    if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      return routesOf(layer.handle.stack, `${prefix}${mount}`);
    }
    return [];
  });
}

/** Every route the running API serves (express 5's `app.router`), as `{method, path}` with `:params`. */
export function servedRoutes(system: TestSystem): { method: string; path: string }[] {
  const app = system.api.server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
  return routesOf(app.router.stack);
}
