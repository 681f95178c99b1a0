import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { HTTP_AREAS } from '../../functions/http/routes.js';
import { JOB_WORKER, SCHEDULES, STREAM_PROCESSOR } from '../../functions/scheduled/schedules.js';
import { PROJECT_ROOT } from '../../infra/local/stack.js';
import { percentile, round } from '../lib/stats.js';

/** Every Lambda entry the CDK app deploys (infra/constructs: api, schedules, stream-processor, jobs). */
export function lambdaEntries(): string[] {
  return [
    ...HTTP_AREAS.map((area) => `functions/http/${area}.ts`),
    ...SCHEDULES.map((s) => `functions/scheduled/${s.name}.ts`),
    STREAM_PROCESSOR.entry,
    JOB_WORKER.entry,
  ];
}

const IMPORT_RUNS = 5;

/** The packages that weigh most in a bundle's output, for the log: where to look when a bundle is too big. */
function heaviestPackages(metafile: Metafile, top = 4): string {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? match[1] : 'project code';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KB`)
    .join(', ');
}

/** Milliseconds to import a module in a fresh Node process (the median of several fresh processes). */
function importMs(file: string): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t0));`;
  const env = { ...process.env, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', TENANT: 'bench', NODE_OPTIONS: '' };
  const samples = Array.from({ length: IMPORT_RUNS }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })),
  );
  return percentile(samples, 50);
}

/**
 * Bundles each handler as CDK's NodejsFunction does for this project (ESM,
 * minified, platform node, everything bundled, the createRequire banner) and
 * imports each bundle in a fresh Node process.
 */
export async function measureBundles(log: (line: string) => void) {
  const out = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  const rows: { entry: string; bytes: number; initMs: number; heaviest: string }[] = [];
  try {
    for (const entry of lambdaEntries()) {
      const outfile = join(out, `${entry.replace(/[/.]/g, '_')}.mjs`);
      const { metafile } = await build({
        metafile: true,
        entryPoints: [join(PROJECT_ROOT, entry)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        minify: true,
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
        banner: { js: "import { createRequire as __cbCreateRequire } from 'node:module'; const require = __cbCreateRequire(import.meta.url);" },
        logLevel: 'error',
      });
      const row = { entry, bytes: statSync(outfile).size, initMs: round(importMs(outfile)), heaviest: heaviestPackages(metafile) };
      log(`  ${entry}: ${(row.bytes / 1024).toFixed(1)} KB, import ${row.initMs} ms; heaviest: ${row.heaviest}`);
      rows.push(row);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const largest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return {
    bundles: {
      maxBytes: largest.bytes,
      maxInitMs: Math.max(...rows.map((r) => r.initMs)),
      largestInitMs: largest.initMs,
      count: rows.length,
    },
    detail: rows,
  };
}
