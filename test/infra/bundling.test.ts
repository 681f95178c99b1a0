import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
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

let bundles: Bundle[];
/** esbuild for every function; minutes on a loaded machine. */
const BUNDLE_TIMEOUT = 600_000;

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

describe('function bundles', () => {
  it('exist for every function: one per HTTP area and schedule, the stream processor and the job worker', () => {
    expect(bundles).toHaveLength(HTTP_AREAS.length + SCHEDULES.length + 2);
    for (const bundle of bundles) {
      expect(existsSync(join(bundle.dir, 'index.mjs')), bundle.logicalId).toBe(true);
      expect(existsSync(join(bundle.dir, 'index.mjs.map')), bundle.logicalId).toBe(true);
    }
  });

  it('are self-contained: no node_modules beside the bundle', () => {
    for (const bundle of bundles) expect(existsSync(join(bundle.dir, 'node_modules')), bundle.logicalId).toBe(false);
  });

  it('stay well under the 250 MB unzipped Lambda limit', () => {
    for (const bundle of bundles) {
      expect(statSync(join(bundle.dir, 'index.mjs')).size, bundle.logicalId).toBeLessThan(50 * 1024 * 1024);
    }
  });

  it('load in Node as ES modules exporting a handler function', () => {
    const script = `
      const dirs = JSON.parse(process.env.BUNDLE_DIRS);
      const failures = [];
      for (const dir of dirs) {
        try {
          const mod = await import(dir + '/index.mjs');
          if (typeof mod.handler !== 'function') failures.push(dir + ': handler is ' + typeof mod.handler);
        } catch (error) {
          failures.push(dir + ': ' + (error && error.stack || error));
        }
      }
      console.log(JSON.stringify(failures));
    `;
    const result = spawnSync(NODE, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: SYNTH_TIMEOUT,
      env: {
        PATH: process.env.PATH,
        BUNDLE_DIRS: JSON.stringify(bundles.map((bundle) => bundle.dir)),
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

  it('carry the createRequire banner so bundled CommonJS can require Node builtins', () => {
    for (const bundle of bundles) {
      expect(readFileSync(join(bundle.dir, 'index.mjs'), 'utf8').slice(0, 200), bundle.logicalId).toContain('createRequire');
    }
  });
});
