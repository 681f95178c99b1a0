#!/usr/bin/env node
/**
 * The CDK app: one TenantStack per tenant of tenants.json, or of one tenant
 * named by context.
 *
 *   npx cdk synth                        every tenant of tenants.json
 *   npx cdk deploy --all -c wave=0       the tenants of one rollout wave
 *   npx cdk deploy -c tenant=acme        one tenant (its entry, or -c settings)
 *
 * cdk-nag's AwsSolutions pack runs as a policy-validation plugin: an
 * unacknowledged finding fails the synth.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TenantSettingsError } from '../constructs/tenant-settings.js';
import { TenantStack, type TenantStackProps } from '../tenant-stack.js';
import { tenantsToBuild } from '../tenants-file.js';

export interface FleetApp {
  readonly app: App;
  readonly stacks: TenantStack[];
}

export interface TenantApp {
  readonly app: App;
  readonly stack: TenantStack;
}

/** Builds the app from its context and the tenants file; shared by the CLI entry point and the tests. */
export function buildFleetApp(appProps: AppProps = {}, stackProps: Partial<TenantStackProps> = {}): FleetApp {
  const app = new App(appProps);
  const stacks = tenantsToBuild(app.node).map((settings) => {
    const stack = new TenantStack(app, `contacts-${settings.tenant}`, {
      env: { account: settings.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: settings.region ?? process.env.CDK_DEFAULT_REGION },
      ...settings,
      ...stackProps,
    });
    // Cost allocation and console filters by tenant; the wave shows which rollout a stack belongs to.
    Tags.of(stack).add('contacts:tenant', settings.tenant);
    Tags.of(stack).add('contacts:wave', String(settings.wave));
    return stack;
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stacks };
}

/** The app of exactly one tenant (`-c tenant=...`): what most tests build. */
export function buildTenantApp(appProps: AppProps = {}, stackProps: Partial<TenantStackProps> = {}): TenantApp {
  const { app, stacks } = buildFleetApp(appProps, stackProps);
  if (stacks.length !== 1) throw new Error(`expected one tenant stack, got ${stacks.length}: pass -c tenant=<name>`);
  return { app, stack: stacks[0] };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    buildFleetApp().app.synth();
  } catch (error) {
    if (error instanceof TenantSettingsError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
