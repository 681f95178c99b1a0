import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
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

/** The logical id CloudFormation gives a construct's resource. */
export const logicalIdOf = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** A tenant app built and synthesized once (for a test file's beforeAll): its stack, template and assembly directory. */
export function synthesizedTenant(options: TestAppOptions = {}) {
  const tenantApp = aTenantApp(options);
  return { stack: tenantApp.stack, template: Template.fromStack(tenantApp.stack), assemblyDir: tenantApp.app.synth().directory };
}
