import { resetConfig } from '../../functions/lib/config.js';
import { useLocalRuntime } from '../../functions/lib/runtime.js';

/** What the CDK gives every function (infra/constructs/lambda-function.ts), as plain values. */
export const AWS_BASE_ENV = {
  RUNTIME: 'aws',
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'unit',
  TENANT: 'acme',
  TENANT_TIMEZONE: 'America/Sao_Paulo',
  DEFAULT_PHONE_REGION: 'BR',
  SENTIMENT_PROVIDER: 'comprehend',
  CURSOR_SECRET: 'unit-cursor-secret',
  SUPPRESSION_SECRET: 'unit-suppression-secret',
} as const;

/**
 * Puts this process in the AWS composition (RUNTIME=aws) with the base
 * variables and `extra` (a port's, e.g. BLOB_BUCKET); returns the function
 * that takes them out again.
 */
export function useAwsRuntime(extra: Record<string, string> = {}): () => void {
  const env = { ...AWS_BASE_ENV, ...extra };
  const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  useLocalRuntime(undefined);
  resetConfig();
  return () => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetConfig();
  };
}
