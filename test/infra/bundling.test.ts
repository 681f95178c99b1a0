import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_AREAS } from '../../functions/http/routes.js';
import { SCHEDULES } from '../../functions/scheduled/schedules.js';
import { REPO_ROOT } from '../../infra/constructs/lambda-function.js';
import { aTenantApp, SYNTH_TIMEOUT } from './support.js';

/** The project's Node 22 (the `node` devDependency), not whatever runs the test. */
const NODE = existsSync(join(REPO_ROOT, 'node_modules/.bin/node')) ? join(REPO_ROOT, 'node_modules/.bin/node') : process.execPath;

interface Bundle {
  readonly logicalId: string;
  readonly dir: string;
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
    return { logicalId, dir: join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`) };
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

  it('load in Node with require(), as the Lambda runtime loads an index.js, exporting a handler function', () => {
    // Copied into the repository so the external SDK resolves; the map comes along for --enable-source-maps.
    const specs = bundles.map((bundle) => {
      const dir = join(LOAD_DIR, bundle.logicalId);
      cpSync(join(bundle.dir, CODE), join(dir, CODE));
      cpSync(join(bundle.dir, `${CODE}.map`), join(dir, `${CODE}.map`));
      return { dir, imports: externalImports(join(bundle.dir, CODE)) };
    });
    // Lambda's /var/task has no package.json: without this one the repository's "type": "module" would apply.
    writeFileSync(join(LOAD_DIR, 'package.json'), '{}\n');
    // The SDK packages a handler loads on first use (import()) must resolve from the bundle as well.
    const script = `
      const failures = [];
      for (const { dir, imports } of JSON.parse(process.env.BUNDLES)) {
        try {
          const mod = require(dir + '/${CODE}');
          if (typeof mod.handler !== 'function') failures.push(dir + ': handler is ' + typeof mod.handler);
          for (const specifier of imports) require.resolve(specifier, { paths: [dir] });
        } catch (error) {
          failures.push(dir + ': ' + (error && error.stack || error));
        }
      }
      console.log(JSON.stringify(failures));
    `;
    const result = spawnSync(NODE, ['-e', script], {
      encoding: 'utf8',
      timeout: SYNTH_TIMEOUT,
      env: {
        PATH: process.env.PATH,
        BUNDLES: JSON.stringify(specs),
        NODE_OPTIONS: '--enable-source-maps',
        // What Lambda and the stack give every function; no call leaves the process at import time.
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        TABLE_NAME: 'contacts-test',
        TENANT: 'acme',
        TENANT_TIMEZONE: 'America/Sao_Paulo',
        DEFAULT_PHONE_REGION: 'BR',
        POWERTOOLS_SERVICE_NAME: 'contact-base',
        SENTIMENT_PROVIDER: 'comprehend',
        BLOB_BUCKET: 'blobs-test',
        JOB_WORKER_FUNCTION: 'contacts-acme-job-worker',
        EVENT_BUS_NAME: 'contacts-acme-dispatches',
      },
    });
    expect(result.status, result.stderr).toBe(0);
    const lastLine = result.stdout.trim().split('\n').pop() ?? '[]';
    expect(JSON.parse(lastLine)).toEqual([]);
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
