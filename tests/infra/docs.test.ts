import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAYOUT_STATUSES, type PayoutStatus, TRANSITIONS } from '@payouts/core';
import { describe, expect, test } from 'vitest';
import { ROOT } from './support.ts';

/**
 * The docs stand on their own: every relative link resolves inside the repository, nothing cites
 * design notes that are not in it, and docs/architecture.md's transition table is the code's.
 */

/** Every file git would commit here: tracked, or new and not ignored (so no bench-results.json). */
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\0')
  .filter((f) => f !== '' && existsSync(join(ROOT, f)));

const markdown = files.filter((f) => f.endsWith('.md'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6} (.+)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Inline links and images outside code: `[text](target)`. */
function linksOf(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
}

describe('the docs', () => {
  test('every relative link in a Markdown file resolves, anchors included', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('docs/architecture.md');
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const link of linksOf(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto: — outside the repository by intent
        checked++;
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURI(path));
        if (relative(ROOT, target).startsWith('..')) {
          broken.push(`${file}: ${link} points outside the repository`);
        } else if (!existsSync(target)) {
          broken.push(`${file}: ${link} does not exist`);
        } else if (anchor && statSync(target).isFile() && target.endsWith('.md')) {
          if (!anchorsOf(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${file}: ${link} has no such heading`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  test('the README links to docs/architecture.md', () => {
    expect(linksOf(readFileSync(join(ROOT, 'README.md'), 'utf8'))).toContain('docs/architecture.md');
  });

  test('nothing cites design notes that are not in the repository', () => {
    // Spelled in pieces so that neither this test nor a grep for the names finds this file.
    const citation = new RegExp(['DES', 'IGN(?: §|\\.md)|NOT', 'ES\\.md|shared/', 'providers/'].join(''));
    const self = relative(ROOT, fileURLToPath(import.meta.url));
    const texts = files.filter((f) => f !== self && /\.(md|ts|ya?ml|json|conf|sql)$|Dockerfile$/.test(f));
    expect(texts.length).toBeGreaterThan(100);
    const citing = texts.flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (citation.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(citing).toEqual([]);
  });

  test("docs/architecture.md's transition table is TRANSITIONS in packages/core", () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const start = doc.indexOf('\n## The state machine\n');
    expect(start, 'a "## The state machine" section').toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
    const rows = new Map<string, string[]>();
    for (const line of section.split('\n')) {
      const [, from, targets] = /^\| `([a-z_]+)` \| (.*) \|$/.exec(line) ?? [];
      if (from === undefined || targets === undefined) continue;
      expect(rows.has(from), `${from} listed once`).toBe(false);
      rows.set(
        from,
        [...targets.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? ''),
      );
    }
    expect([...rows.keys()].sort()).toEqual([...PAYOUT_STATUSES].sort());
    for (const [from, to] of rows) {
      expect([...to].sort(), `${from} → …`).toEqual([...TRANSITIONS[from as PayoutStatus]].sort());
    }
  });
});
