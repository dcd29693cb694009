/** A CPU profile of this process (V8's sampling profiler), its self time grouped by package. */
import { Session } from 'node:inspector/promises';
import { must } from '@payouts/testing';
import { round } from './results.ts';

/** Starts V8's sampling profiler on this process; stop() returns self time by package and the hottest functions. */
export async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return analyseProfile(profile as { nodes: ProfileNode[] });
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

/**
 * Self time of the sampled profile, grouped by package (node_modules name, or apps/x, packages/x),
 * and the hottest functions.
 */
export function analyseProfile(profile: { nodes: ProfileNode[] }) {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    all += hits;
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    const pkg = bucket(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const file = url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*\/node_modules\//, '');
    const fn = url ? `${functionName || '(anonymous)'} (${file}:${lineNumber + 1}:${columnNumber + 1})` : functionName;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const ranked = (m: Map<string, number>) =>
    [...m].map(([name, hits]) => ({ name, pct: round((hits / all) * 100, 1) })).sort((a, b) => b.pct - a.pct);
  return { cpuByPackage: ranked(byPackage), topFunctions: ranked(byFunction) };
}

function bucket(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node core';
  const modules = url.split('/node_modules/');
  if (modules.length > 1) {
    const [scope = '', name] = must(modules.at(-1), `the package of ${url}`).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const own = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'bench' ? 'bench' : `${own[1]}/${own[2]}`;
  return 'other';
}
