import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
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

const BUNDLING: BundlingOptions = LAMBDA_BUNDLING;
const ESM = BUNDLING.format === 'esm';
/** NodejsFunction's output file name for the format. */
const OUT_FILE = ESM ? 'index.mjs' : 'index.js';

/**
 * The esbuild options NodejsFunction derives from LAMBDA_BUNDLING (its
 * buildEsbuildArgs), so the bench measures what a deploy uploads.
 */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: BUNDLING.format,
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: BUNDLING.bundleAwsSDK ? [] : BUNDLING.externalModules,
    tsconfig: BUNDLING.tsconfig,
    banner: BUNDLING.banner ? { js: BUNDLING.banner } : undefined,
    mainFields: BUNDLING.mainFields,
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

/**
 * The packages a bundle leaves to the runtime: those it loads with itself,
 * and those it loads with import() on first use, which the timed load does
 * not include.
 */
function externalPackages(metafile: Metafile): { atLoad: string[]; onFirstUse: string[] } {
  const atLoad = new Set<string>();
  const onFirstUse = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const { path, external, kind } of output.imports) {
      if (external && !path.startsWith('node:')) (kind === 'dynamic-import' ? onFirstUse : atLoad).add(path);
    }
  }
  return { atLoad: [...atLoad].sort(), onFirstUse: [...onFirstUse].filter((p) => !atLoad.has(p)).sort() };
}

/**
 * Milliseconds to load a bundle in a fresh Node process the way the Lambda
 * runtime does (require() for a CommonJS index.js, import() for index.mjs),
 * with the NODE_OPTIONS the construct gives every function (source maps on,
 * which Node pays for at load): the median wall time of several processes,
 * and the median CPU time of the same loads, which tells how much of the wall
 * time was waiting for a core on a shared machine. Then, in the same process,
 * the wall time of loading the SDK packages the bundle defers to first use:
 * not part of the cold start, but what the first request needing them pays.
 */
function loadMs(file: string, deferred: string[]): { wallMs: number; cpuMs: number; firstUseMs: number } {
  // The way the runtime loads the bundle; the SDK packages are resolved from the bundle's directory, as from /var/task.
  const load = (path: string) => (ESM ? `await import(require('node:url').pathToFileURL(${path}).href)` : `require(${path})`);
  const script = `(async () => {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    ${load(JSON.stringify(file))};
    const wall = performance.now() - t0; const c = process.cpuUsage(c0);
    const t1 = performance.now();
    for (const name of ${JSON.stringify(deferred)}) ${load(`require.resolve(name, { paths: [${JSON.stringify(dirname(file))}] })`)};
    process.stdout.write(JSON.stringify([wall, (c.user + c.system) / 1000, performance.now() - t1]));
  })();`;
  const env = { ...process.env, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', TENANT: 'bench', NODE_OPTIONS: '--enable-source-maps' };
  const samples = Array.from({ length: IMPORT_RUNS }, () =>
    JSON.parse(execFileSync(process.execPath, ['--input-type=commonjs', '-e', script], { env, encoding: 'utf8' })) as [number, number, number],
  );
  const median = (i: number) => percentile(samples.map((s) => s[i]), 50);
  return { wallMs: median(0), cpuMs: median(1), firstUseMs: median(2) };
}

/**
 * Bundles each handler with the construct's options (AWS SDK external) and
 * loads each bundle in fresh Node processes, the SDK it loads included.
 */
export async function measureBundles(log: (line: string) => void) {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  // Lambda's /var/task has no package.json; without this one the repository's "type": "module" would apply.
  writeFileSync(join(OUT_DIR, 'package.json'), '{}\n');
  const rows: { entry: string; bytes: number; initMs: number; initCpuMs: number; firstUseMs: number; heaviest: string; external: ReturnType<typeof externalPackages> }[] = [];
  try {
    for (const entry of lambdaEntries()) {
      const outfile = join(OUT_DIR, entry.replace(/[/.]/g, '_'), OUT_FILE);
      mkdirSync(join(outfile, '..'), { recursive: true });
      const { metafile } = await build(esbuildOptions(entry, outfile));
      const external = externalPackages(metafile!);
      const { wallMs, cpuMs, firstUseMs } = loadMs(outfile, external.onFirstUse);
      const row = {
        entry,
        bytes: statSync(outfile).size,
        initMs: round(wallMs),
        initCpuMs: round(cpuMs),
        firstUseMs: round(firstUseMs),
        heaviest: heaviestPackages(metafile!),
        external,
      };
      log(
        `  ${entry}: ${(row.bytes / 1024).toFixed(1)} KB, import ${row.initMs} ms (CPU ${row.initCpuMs} ms; medians of ${IMPORT_RUNS}); ` +
          `heaviest: ${row.heaviest}; SDK loaded with it: ${row.external.atLoad.join(', ') || 'none'}` +
          (row.external.onFirstUse.length ? `; on first use (+${row.firstUseMs} ms then): ${row.external.onFirstUse.join(', ')}` : ''),
      );
      rows.push(row);
    }
  } finally {
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
  const largest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const slowest = rows.reduce((a, b) => (b.initMs > a.initMs ? b : a));
  // Wall times on a shared machine are only as good as its load; the CPU medians are the steadier figure.
  log(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${cpus().length} cores at the end of this phase`);
  log(`  largest: ${largest.entry} ${(largest.bytes / 1024).toFixed(1)} KB; slowest import: ${slowest.entry} ${slowest.initMs} ms`);
  return {
    bundles: {
      maxBytes: largest.bytes,
      maxInitMs: slowest.initMs,
      maxInitCpuMs: Math.max(...rows.map((r) => r.initCpuMs)),
      maxFirstUseMs: Math.max(...rows.map((r) => r.firstUseMs)),
      largestInitMs: largest.initMs,
      count: rows.length,
    },
    detail: rows,
  };
}
