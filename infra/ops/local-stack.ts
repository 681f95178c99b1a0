import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resetConfig } from '../../functions/lib/config.js';
import { setDdbClient } from '../../functions/lib/dynamo.js';
import { LOCAL_STACK_FILE, PROJECT_ROOT, type LocalStackInfo } from '../local/stack.js';

export class OpsError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running local stack (`npm start`) of a data directory (DATA_DIR,
 * `.data` by default), as it announces itself in `local-stack.json`; the
 * product's code in this process is pointed at its DynamoDB Local and table.
 */
export function connectLocalStack(dataDir = resolve(PROJECT_ROOT, process.env.DATA_DIR ?? '.data')): LocalStackInfo {
  const file = join(dataDir, LOCAL_STACK_FILE);
  const info = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalStackInfo) : undefined;
  if (!info || !isAlive(info.pid)) {
    throw new OpsError(`No local stack is running on ${dataDir}. Start it with \`npm start\` (DATA_DIR=${dataDir}) and run this again.`);
  }
  // RUNTIME=local without a composition: operator commands reach the table only, never a job worker or a sink.
  Object.assign(process.env, {
    RUNTIME: 'local',
    TABLE_NAME: info.tableName,
    DYNAMODB_ENDPOINT: info.dynamoEndpoint,
    TENANT_TIMEZONE: info.timezone,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });
  resetConfig();
  setDdbClient(undefined);
  return info;
}

/** `--name value` and `--flag` arguments. */
export function parseArgs(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new OpsError(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) out[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[name] = argv[++i];
    else out[name] = true;
  }
  return out;
}

/** Runs an operator command: its errors are printed plainly, with exit status 1. */
export function runCommand(main: () => Promise<number | void>): void {
  main()
    .then((code) => process.exit(code ?? 0))
    .catch((error) => {
      console.error(error instanceof OpsError ? `error: ${error.message}` : error);
      process.exit(1);
    });
}
