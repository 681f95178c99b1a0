import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { HTTP_AREAS } from '../../functions/http/routes.js';
import { JOB_WORKER, SCHEDULES, STREAM_PROCESSOR } from '../../functions/scheduled/schedules.js';
import { LAMBDA_BUNDLING, REPO_ROOT } from '../../infra/constructs/lambda-function.js';
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

/** Fresh Node processes per bundle; the median is reported because the machine is shared. */
const IMPORT_RUNS = 7;

/**
 * Inside the repository so that the externalized `@aws-sdk/*` and `@smithy/*`
 * imports resolve to its node_modules, as they resolve to the runtime's SDK in
 * Lambda: the timed import then loads the SDK too, as a cold start does.
 * (ESM ignores NODE_PATH, so a bundle in the OS temp dir could not load it.)
 */
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'bench-bundles');

/**
 * The esbuild options NodejsFunction derives from LAMBDA_BUNDLING (its
 * buildEsbuildArgs), so the bench measures what a deploy uploads.
 */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  const b = LAMBDA_BUNDLING;
  return {
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: b.format,
    target: b.target,
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    external: b.bundleAwsSDK ? [] : b.externalModules,
    tsconfig: b.tsconfig,
    banner: { js: b.banner },
    metafile: true,
    logLevel: 'error',
  };
}

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

/** The packages a bundle leaves to the runtime (its external imports). */
function externalPackages(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external } of output.imports) if (external && !path.startsWith('node:')) names.add(path);
  }
  return [...names].sort();
}

/**
 * Milliseconds to import a bundle in a fresh Node process (the median of
 * several), with the NODE_OPTIONS the construct gives every function: Lambda
 * runs them with source maps enabled, which Node pays for at load.
 */
function importMs(file: string): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t0));`;
  const env = { ...process.env, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', TENANT: 'bench', NODE_OPTIONS: '--enable-source-maps' };
  const samples = Array.from({ length: IMPORT_RUNS }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' })),
  );
  return percentile(samples, 50);
}

/**
 * Bundles each handler with the construct's options (AWS SDK external) and
 * imports each bundle in fresh Node processes, the SDK it imports included.
 */
export async function measureBundles(log: (line: string) => void) {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const rows: { entry: string; bytes: number; initMs: number; heaviest: string; external: string[] }[] = [];
  try {
    for (const entry of lambdaEntries()) {
      const outfile = join(OUT_DIR, entry.replace(/[/.]/g, '_'), 'index.mjs');
      mkdirSync(join(outfile, '..'), { recursive: true });
      const { metafile } = await build(esbuildOptions(entry, outfile));
      const row = {
        entry,
        bytes: statSync(outfile).size,
        initMs: round(importMs(outfile)),
        heaviest: heaviestPackages(metafile!),
        external: externalPackages(metafile!),
      };
      log(
        `  ${entry}: ${(row.bytes / 1024).toFixed(1)} KB, import ${row.initMs} ms (median of ${IMPORT_RUNS}); ` +
          `heaviest: ${row.heaviest}; loaded from node_modules: ${row.external.join(', ') || 'nothing'}`,
      );
      rows.push(row);
    }
  } finally {
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
  const largest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const slowest = rows.reduce((a, b) => (b.initMs > a.initMs ? b : a));
  log(`  largest: ${largest.entry} ${(largest.bytes / 1024).toFixed(1)} KB; slowest import: ${slowest.entry} ${slowest.initMs} ms`);
  return {
    bundles: {
      maxBytes: largest.bytes,
      maxInitMs: slowest.initMs,
      largestInitMs: largest.initMs,
      count: rows.length,
    },
    detail: rows,
  };
}
