#!/usr/bin/env node
/**
 * The CDK app: one TenantStack per tenant, named by context.
 *
 *   npx cdk synth -c tenant=acme
 *   npx cdk deploy -c tenant=acme -c timezone=America/Bogota -c phoneRegion=CO
 *
 * cdk-nag's AwsSolutions pack runs as a policy-validation plugin: an
 * unacknowledged finding fails the synth.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readTenantSettings, TenantSettingsError } from '../constructs/tenant-settings.js';
import { TenantStack, type TenantStackProps } from '../tenant-stack.js';

export interface TenantApp {
  readonly app: App;
  readonly stack: TenantStack;
}

/** Builds the app from its context; shared by the CLI entry point and the tests. */
export function buildTenantApp(appProps: AppProps = {}, stackProps: Partial<TenantStackProps> = {}): TenantApp {
  const app = new App(appProps);
  const settings = readTenantSettings(app.node);
  const stack = new TenantStack(app, `contacts-${settings.tenant}`, {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    ...settings,
    ...stackProps,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    buildTenantApp().app.synth();
  } catch (error) {
    if (error instanceof TenantSettingsError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
