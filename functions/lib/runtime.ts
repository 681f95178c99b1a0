import type { BlobStore } from './blob-store.js';
import type { JobWorker } from './invoke.js';
import type { DispatchSink } from './outbound.js';
import type { UserDirectory } from './user-directory.js';

/**
 * The composition a function runs in, chosen explicitly, never guessed from
 * which variables happen to be set:
 *
 * - `RUNTIME=aws`: the CDK function construct sets it on every function
 *   (infra/constructs/lambda-function.ts). Each port below is built from its
 *   environment variables when its module loads, that is at cold start: a
 *   missing variable fails the start with an error naming it, instead of a
 *   hand-over that silently goes nowhere.
 * - `RUNTIME=local`: the local host sets it and installs its own composition
 *   (infra/local/runtime.ts) with `useLocalRuntime`.
 *
 * Which ports a function needs follows from its code: a port is needed by
 * every function whose entry's import graph holds the port's module. The
 * CDK reads the same graph to give each function exactly those variables
 * and permissions (infra/constructs/runtime-ports.ts).
 */
export type RuntimeName = 'aws' | 'local';

/** Services a function reaches beyond its table; locally the host provides every one. */
export interface LocalRuntime {
  readonly jobWorker: JobWorker;
  readonly dispatches: DispatchSink;
  readonly blobs: BlobStore;
  readonly userDirectory: UserDirectory;
}

export type PortName = keyof LocalRuntime;

/** The AWS side of each port: the module that defines it and the variables it is built from. */
export const RUNTIME_PORTS = {
  jobWorker: { module: 'functions/lib/invoke.ts', env: ['JOB_WORKER_FUNCTION'], purpose: 'hands jobs to the job worker' },
  dispatches: { module: 'functions/lib/outbound.ts', env: ['EVENT_BUS_NAME'], purpose: 'publishes queued dispatches' },
  blobs: { module: 'functions/lib/blob-store.ts', env: ['BLOB_BUCKET'], purpose: 'keeps job imports and exports' },
  userDirectory: { module: 'functions/lib/user-directory.ts', env: ['USER_POOL_ID'], purpose: 'reads staff names' },
} as const satisfies Record<PortName, { module: string; env: readonly string[]; purpose: string }>;

export class RuntimeConfigError extends Error {
  override readonly name = 'RuntimeConfigError';
}

/** The composition named by RUNTIME; anything else is an error, not a default. */
export function runtimeName(): RuntimeName {
  const name = process.env.RUNTIME;
  if (name === 'aws' || name === 'local') return name;
  throw new RuntimeConfigError(
    name
      ? `RUNTIME must be "aws" or "local", not ${JSON.stringify(name)}`
      : 'RUNTIME is not set: the CDK sets RUNTIME=aws on every function, the local stack (infra/local/stack.ts) sets RUNTIME=local and installs its composition',
  );
}

export const isAws = (): boolean => process.env.RUNTIME === 'aws';

/** The named variables, all set, or one error naming every missing one and what needs it. */
export function requiredEnv<const N extends string>(names: readonly N[], neededFor: string): Record<N, string> {
  const missing = names.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new RuntimeConfigError(`RUNTIME=aws: missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${neededFor})`);
  }
  return Object.fromEntries(names.map((name) => [name, process.env[name]!])) as Record<N, string>;
}

let local: LocalRuntime | undefined;

/** The local host installs its composition (undefined uninstalls it when the host stops). */
export function useLocalRuntime(composition: LocalRuntime | undefined): void {
  local = composition;
}

/** The installed local composition, if any. */
export const installedLocalRuntime = (): LocalRuntime | undefined => local;

/**
 * Defines a port: `buildAws` makes the AWS side from the port's variables
 * (RUNTIME_PORTS). Called at a module's top level, so with RUNTIME=aws a
 * missing variable fails the cold start. The AWS side is rebuilt when its
 * variables change (tests set them one after another).
 */
export function definePort<P extends PortName>(name: P, buildAws: (env: Record<string, string>) => LocalRuntime[P]): () => LocalRuntime[P] {
  const { env, module, purpose } = RUNTIME_PORTS[name];
  let built: { key: string; value: LocalRuntime[P] } | undefined;
  const aws = () => {
    const values = requiredEnv(env, `${module} ${purpose}`);
    const key = JSON.stringify(values);
    if (built?.key !== key) built = { key, value: buildAws(values) };
    return built.value;
  };
  if (isAws()) aws();
  return () => {
    if (runtimeName() === 'aws') return aws();
    if (!local) throw new RuntimeConfigError(`RUNTIME=local: no local composition is installed (the local stack installs one, infra/local/runtime.ts), so nothing ${purpose}`);
    return local[name];
  };
}
