import { buildTenantApp, type TenantApp } from '../../infra/bin/app.js';
import type { TenantStackProps } from '../../infra/tenant-stack.js';

/** Synth takes a while (esbuild, asset staging); hooks building a stack get this much. */
export const SYNTH_TIMEOUT = 120_000;

export interface TestAppOptions {
  /** Extra CDK context, as `-c key=value` would give it. */
  readonly context?: Record<string, unknown>;
  /** Run esbuild for every function; off by default to keep assertion tests fast. */
  readonly bundle?: boolean;
  readonly stackProps?: Partial<TenantStackProps>;
  /**
   * aws-cdk-lib's built-in CloudFormation template validation, on by default in
   * `cdk synth`; it costs seconds per synth, so only the cdk-nag and bundling
   * tests turn it on.
   */
  readonly cfnValidation?: boolean;
}

/** The app exactly as `cdk synth -c tenant=acme` builds it, cdk-nag included. */
export function aTenantApp(options: TestAppOptions = {}): TenantApp {
  return buildTenantApp(
    {
      builtinCloudFormationValidation: options.cfnValidation ?? false,
      context: {
        tenant: 'acme',
        ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
        ...options.context,
      },
    },
    options.stackProps,
  );
}
