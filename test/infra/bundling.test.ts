import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_AREAS } from '../../functions/http/routes.js';
import { RUNTIME_PORTS } from '../../functions/lib/runtime.js';
import { SCHEDULES } from '../../functions/scheduled/schedules.js';
import { REPO_ROOT } from '../../infra/constructs/lambda-function.js';
import { aTenantApp, SYNTH_TIMEOUT } from './support.js';

/** The project's Node 22 (the `node` devDependency), not whatever runs the test. */
const NODE = existsSync(join(REPO_ROOT, 'node_modules/.bin/node')) ? join(REPO_ROOT, 'node_modules/.bin/node') : process.execPath;

interface Bundle {
  readonly logicalId: string;
  readonly dir: string;
  /** The function's environment as the template gives it, deploy-time references standing as placeholders. */
  readonly env: Record<string, string>;
}

/** NodejsFunction writes a CommonJS bundle (LAMBDA_BUNDLING.format) as index.js. */
const CODE = 'index.js';

let bundles: Bundle[];
/** esbuild for every function; minutes on a loaded machine. */
const BUNDLE_TIMEOUT = 600_000;

/**
 * Where the bundles are loaded from: inside the repository, so that their
 * external `@aws-sdk/*` imports resolve to its node_modules as they resolve to
 * the runtime's SDK in Lambda. The assembly itself is in the OS temp dir,
 * where they could not (ESM ignores NODE_PATH).
 */
const LOAD_DIR = join(REPO_ROOT, 'node_modules', '.cache', `bundling-test-${process.pid}`);

/** The SDK packages the functions may leave to the runtime: every one is shipped by the Lambda Node.js runtime. */
const RUNTIME_SDK = [
  '@aws-sdk/client-cognito-identity-provider',
  '@aws-sdk/client-comprehend',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-s3',
  '@aws-sdk/lib-dynamodb',
  '@aws-sdk/s3-request-presigner',
  '@aws-sdk/util-dynamodb',
];

/** The packages a bundle imports (statically or with import()), as esbuild's parser reads them; builtins excluded. */
function externalImports(file: string): string[] {
  const { metafile } = buildSync({ entryPoints: [file], bundle: true, packages: 'external', platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  const imports = Object.values(metafile!.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path));
  return [...new Set(imports.filter((path) => !path.startsWith('node:')))].sort();
}

interface LoadSpec {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly imports: string[];
}

/**
 * require()s each bundle in a fresh Node (the project's), as Lambda does at
 * cold start: with its own environment (and Lambda's AWS_REGION and
 * credentials), then once without each port variable it is given, which
 * must fail. Answers the load failures and the errors of those cold starts.
 */
function loadBundles(specs: LoadSpec[]): { loaded: string[]; portChecks: { dir: string; missing: string; error: string }[] } {
  const script = `
    const { dir, env, imports, drop } = JSON.parse(process.env.SPEC);
    for (const name of Object.keys(env)) if (name !== drop) process.env[name] = env[name];
    try {
      const mod = require(dir + '/${CODE}');
      if (typeof mod.handler !== 'function') throw new Error('handler is ' + typeof mod.handler);
      // The SDK packages a handler loads on first use (import()) must resolve from the bundle as well.
      for (const specifier of imports) require.resolve(specifier, { paths: [dir] });
      console.log(JSON.stringify({ ok: true }));
    } catch (error) {
      console.log(JSON.stringify({ ok: false, error: String(error && error.stack || error) }));
    }
  `;
  const run = (spec: LoadSpec, drop?: string) => {
    const result = spawnSync(NODE, ['-e', script], {
      encoding: 'utf8',
      timeout: SYNTH_TIMEOUT,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', SPEC: JSON.stringify({ ...spec, drop }) },
    });
    const lastLine = result.stdout.trim().split('\n').pop() ?? '';
    return lastLine.startsWith('{') ? (JSON.parse(lastLine) as { ok: boolean; error?: string }) : { ok: false, error: result.stderr };
  };
  const loaded = specs.flatMap((spec) => {
    const outcome = run(spec);
    return outcome.ok ? [] : [`${spec.dir}: ${outcome.error}`];
  });
  const portVariables = Object.values(RUNTIME_PORTS).flatMap((port) => port.env as readonly string[]);
  const portChecks = specs.flatMap((spec) =>
    Object.keys(spec.env)
      .filter((name) => portVariables.includes(name))
      .map((missing) => ({ dir: spec.dir, missing, error: run(spec, missing).error ?? 'loaded' })),
  );
  return { loaded, portChecks };
}

/**
 * One real synth with esbuild for every function (the other test files skip
 * bundling): proves the handlers, whatever they import, bundle into ESM that
 * Node can load.
 */
beforeAll(() => {
  const { app, stack } = aTenantApp({ bundle: true });
  const assembly = app.synth();
  const template = Template.fromStack(stack).toJSON();
  const functions = Object.entries(template.Resources as Record<string, { Type: string; Properties: Record<string, any> }>).filter(
    ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && !id.startsWith('CustomCDKBucketDeployment'),
  );
  bundles = functions.map(([logicalId, resource]) => {
    const key: string = resource.Properties.Code.S3Key;
    const variables = resource.Properties.Environment.Variables as Record<string, unknown>;
    const env = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : `deployed-${name.toLowerCase()}`]));
    return { logicalId, dir: join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`), env };
  });
}, BUNDLE_TIMEOUT);

afterAll(() => rmSync(LOAD_DIR, { recursive: true, force: true }));

describe('function bundles', () => {
  it('exist for every function: one per HTTP area and schedule, the stream processor and the job worker', () => {
    expect(bundles).toHaveLength(HTTP_AREAS.length + SCHEDULES.length + 2);
    for (const bundle of bundles) {
      expect(existsSync(join(bundle.dir, CODE)), bundle.logicalId).toBe(true);
      expect(existsSync(join(bundle.dir, `${CODE}.map`)), bundle.logicalId).toBe(true);
    }
  });

  it('are self-contained: no node_modules beside the bundle', () => {
    for (const bundle of bundles) expect(existsSync(join(bundle.dir, 'node_modules')), bundle.logicalId).toBe(false);
  });

  it('stay well under the 250 MB unzipped Lambda limit', () => {
    for (const bundle of bundles) {
      expect(statSync(join(bundle.dir, CODE)).size, bundle.logicalId).toBeLessThan(50 * 1024 * 1024);
    }
  });

  it('stay within 300 KB each (issue 7), so the package Lambda fetches on a cold start stays small', () => {
    for (const bundle of bundles) expect(statSync(join(bundle.dir, CODE)).size, bundle.logicalId).toBeLessThanOrEqual(300 * 1024);
  });

  it('leave the AWS SDK v3 to the runtime: they import only SDK packages the runtime ships', () => {
    for (const bundle of bundles) {
      for (const specifier of externalImports(join(bundle.dir, CODE))) expect(RUNTIME_SDK, `${bundle.logicalId} imports ${specifier}`).toContain(specifier);
      const { sources } = JSON.parse(readFileSync(join(bundle.dir, `${CODE}.map`), 'utf8')) as { sources: string[] };
      expect(sources.filter((source) => /node_modules\/@(aws-sdk|smithy)\//.test(source)), bundle.logicalId).toEqual([]);
    }
    const dynamo = bundles.filter((bundle) => externalImports(join(bundle.dir, CODE)).includes('@aws-sdk/lib-dynamodb'));
    expect(dynamo.length).toBeGreaterThan(bundles.length / 2);
  });

  it('load in Node with require(), as the Lambda runtime loads an index.js with the environment the stack gives it, exporting a handler function', () => {
    // Copied into the repository so the external SDK resolves; the map comes along for --enable-source-maps.
    const specs = bundles.map((bundle) => {
      const dir = join(LOAD_DIR, bundle.logicalId);
      cpSync(join(bundle.dir, CODE), join(dir, CODE));
      cpSync(join(bundle.dir, `${CODE}.map`), join(dir, `${CODE}.map`));
      return { dir, env: bundle.env, imports: externalImports(join(bundle.dir, CODE)) };
    });
    // Lambda's /var/task has no package.json: without this one the repository's "type": "module" would apply.
    writeFileSync(join(LOAD_DIR, 'package.json'), '{}\n');
    const { loaded, portChecks } = loadBundles(specs);
    expect(loaded).toEqual([]);
    // A cold start without one of a port's variables fails, naming it (functions/lib/runtime.ts): the check is in the bundle.
    expect(portChecks.length).toBeGreaterThan(0);
    for (const check of portChecks) expect(check.error, `${check.dir} without ${check.missing}`).toContain(`missing environment variable ${check.missing}`);
  }, SYNTH_TIMEOUT);

  it('bundle no source that uses import.meta, which a CommonJS bundle cannot carry (esbuild would leave it empty)', () => {
    for (const bundle of bundles) {
      const { sources } = JSON.parse(readFileSync(join(bundle.dir, `${CODE}.map`), 'utf8')) as { sources: string[] };
      const files = sources.map((source) => join(bundle.dir, source));
      expect(files.some((file) => file.includes('/functions/')), bundle.logicalId).toBe(true);
      expect(files.filter((file) => !existsSync(file)), bundle.logicalId).toEqual([]);
      expect(files.filter((file) => /\bimport\.meta\b/.test(readFileSync(file, 'utf8'))), bundle.logicalId).toEqual([]);
    }
  });
});
