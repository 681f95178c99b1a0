import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * functions/data is the only place that knows the table's keys and sends
 * Queries (issue "Routes and items as data"). Everything else asks an
 * entity module for an access pattern by name.
 */
const ROOT = join(import.meta.dirname, '..', '..', 'functions');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const outside = sources(ROOT).filter((path) => !relative(ROOT, path).startsWith('data/'));
/** A string literal that starts like a key: `CONTACT#`, `P#PROFILE`, `H#DSP#`, `ENGDAY#`… */
const KEY_LITERAL = /['"`][A-Z]{1,16}#/;
/** A comment line: key shapes are documented in prose, and that is fine. */
const COMMENT = /^\s*(\/\/|\*|\/\*)/;

describe('the data boundary', () => {
  it('reads a real tree (guards the checks below against an empty list)', () => {
    expect(outside.length).toBeGreaterThan(50);
    expect(outside.some((path) => path.endsWith('contacts/contact-service.ts'))).toBe(true);
  });

  it('no code outside functions/data builds a key string', () => {
    const found: string[] = [];
    for (const path of outside) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (!COMMENT.test(line) && KEY_LITERAL.test(line)) found.push(`${relative(ROOT, path)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('no code outside functions/data sends a QueryCommand', () => {
    const found = outside.filter((path) => /\bQueryCommand\b/.test(readFileSync(path, 'utf8'))).map((path) => relative(ROOT, path));
    expect(found).toEqual([]);
  });

  it('no file in functions is over 400 lines', () => {
    const long = sources(ROOT)
      .map((path) => ({ path: relative(ROOT, path), lines: readFileSync(path, 'utf8').split('\n').length }))
      .filter((file) => file.lines > 400);
    expect(long).toEqual([]);
  });
});
