import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layout's rules (docs/architecture.md), read from the import statements of every file under
 * src/ (specs included; `import type`, re-exports and dynamic imports count): common/, database/
 * and tenancy/ never import modules/, and no feature folder imports itself back through others.
 */

const SRC = import.meta.dirname;

/** The folder a file belongs to: `modules/<feature>` for a feature, else its top folder under src/. */
function areaOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts[0] === 'modules' && parts.length > 2) return `modules/${parts[1]}`;
  return parts.length > 1 ? parts[0] : '(root)';
}

interface Edge {
  from: string;
  to: string;
  /** One file that makes the edge, and what it imports. */
  via: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
  );
}

/** Imports between areas under src/, one edge per (from, to) pair. */
function areaEdges(): Edge[] {
  const edges = new Map<string, Edge>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const from = areaOf(file);
      const to = areaOf(path.resolve(path.dirname(file), fileName));
      if (from !== to && !edges.has(`${from}>${to}`))
        edges.set(`${from}>${to}`, { from, to, via: `${path.relative(SRC, file)} imports ${fileName}` });
    }
  }
  return [...edges.values()];
}

/** A cycle in the graph, as its nodes (first repeated last), or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const found = visit(m);
      if (found) return found;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of [...graph.keys()].sort()) {
    const found = visit(n);
    if (found) return found;
  }
  return null;
}

describe('architecture (src/ imports)', () => {
  const edges = areaEdges();

  it('reads the imports it checks (a feature importing another is seen)', () => {
    expect(edges).toContainEqual(expect.objectContaining({ from: 'modules/intake', to: 'modules/knowledge' }));
  });

  it('common/, database/ and tenancy/ import nothing from modules/', () => {
    const wrong = edges.filter((e) => ['common', 'database', 'tenancy'].includes(e.from) && e.to.startsWith('modules/'));
    expect(wrong.map((e) => e.via)).toEqual([]);
  });

  it('no loop between feature folders', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges.filter((e) => e.from.startsWith('modules/') && e.to.startsWith('modules/')))
      graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const cycle = findCycle(graph);
    const via = (a: string, b: string) => edges.find((e) => e.from === a && e.to === b)?.via;
    expect(cycle && cycle.slice(1).map((to, i) => via(cycle[i], to))).toBeNull();
  });

  it('findCycle finds a loop through several folders, and none in a tree', () => {
    const g = (o: Record<string, string[]>) => new Map(Object.entries(o));
    expect(findCycle(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(g({ a: ['b', 'c'], b: ['c'], c: [] }))).toBeNull();
  });

  it('areaOf names feature folders by feature and everything else by its top folder', () => {
    expect(areaOf(path.join(SRC, 'modules/intake/crawl/crawl.handler.ts'))).toBe('modules/intake');
    expect(areaOf(path.join(SRC, 'common/guards/tenant.guard.ts'))).toBe('common');
    expect(areaOf(path.join(SRC, 'bootstrap.ts'))).toBe('(root)');
  });
});
