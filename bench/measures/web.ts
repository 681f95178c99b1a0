import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROJECT_ROOT } from '../../infra/local/stack.js';

/**
 * JavaScript the SPA loads before its first screen: the entry module script
 * of web/dist/index.html and every module it preloads, each gzipped.
 */
export function measureInitialJs(distDir = join(PROJECT_ROOT, 'web', 'dist')) {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const urls = new Set<string>();
  for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
    const src = /\bsrc="([^"]+)"/.exec(tag)?.[1];
    if (src && /\btype="module"/.test(tag)) urls.add(src);
  }
  for (const tag of html.match(/<link\b[^>]*>/g) ?? []) {
    const href = /\bhref="([^"]+)"/.exec(tag)?.[1];
    if (href && /\brel="modulepreload"/.test(tag)) urls.add(href);
  }
  const files = [...urls].filter((u) => !/^https?:/.test(u)).map((u) => join(distDir, u.replace(/^\//, '')));
  const missing = files.filter((f) => !existsSync(f));
  if (files.length === 0 || missing.length) throw new Error(`web/dist/index.html names no built entry script (${missing.join(', ')})`);
  let gzipBytes = 0;
  let rawBytes = 0;
  for (const file of files) {
    const content = readFileSync(file);
    rawBytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { web: { initialJsGzipBytes: gzipBytes, initialJsRawBytes: rawBytes, initialJsFiles: files.length } };
}
