import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { RUNTIME_PORTS, type PortName } from '../../functions/lib/runtime.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PORT_BY_MODULE = new Map<string, PortName>(Object.entries(RUNTIME_PORTS).map(([port, { module }]) => [module, port as PortName]));
const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(?\s*)"([^"]+)"/g;

/** The project files a module imports (statically or with import()), as esbuild compiles it: type-only and unused imports fall away. */
const importsCache = new Map<string, string[]>();
function importsOf(file: string): string[] {
  let imports = importsCache.get(file);
  if (!imports) {
    const { code } = transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'esm', sourcefile: file });
    imports = [...code.matchAll(SPECIFIERS)].flatMap(([, specifier]) => {
      if (!specifier.startsWith('.')) return []; // packages: no port lives there
      const base = join(dirname(file), specifier);
      const found = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
      // A module that does not resolve fails the bundling of the function anyway.
      return found ? [found] : [];
    });
    importsCache.set(file, imports);
  }
  return imports;
}

const portsCache = new Map<string, ReadonlySet<PortName>>();

/**
 * The runtime ports (functions/lib/runtime.ts) a function's code can reach:
 * those whose module is in the import graph of its entry (repository
 * relative). In AWS a port's module checks its variables at cold start, so
 * a function is given exactly the ports its bundle holds: a function that
 * can hand a job over gets the worker's name and the right to invoke it
 * because its code can, not because a list says so.
 */
export function portsOf(entry: string): ReadonlySet<PortName> {
  let ports = portsCache.get(entry);
  if (!ports) {
    const seen = new Set<string>();
    const pending = [join(ROOT, entry)];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      pending.push(...importsOf(file));
    }
    ports = new Set([...seen].flatMap((file) => PORT_BY_MODULE.get(relative(ROOT, file)) ?? []));
    portsCache.set(entry, ports);
  }
  return ports;
}
