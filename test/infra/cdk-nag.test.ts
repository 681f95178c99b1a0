import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { aTenantApp, SYNTH_TIMEOUT } from './support.js';

/**
 * cdk-nag 3 is a policy-validation plugin: its findings do not become
 * construct annotations, they fail `app.synth()` and land in the cloud
 * assembly's validation report. So the checks below read the plugin's own
 * report (validateScope) and the synthesized report, and also assert that no
 * annotation (cdk-nag's or aws-cdk-lib's) is left as error or warning.
 */
function unacknowledgedFindings(app: App): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`),
  );
}

describe.each([
  { name: 'default tenant (CloudFront domain)', context: {} },
  {
    name: 'tenant with a custom domain and extra callback',
    context: {
      tenant: 'globex',
      timezone: 'America/Bogota',
      phoneRegion: 'CO',
      domain: 'contacts.globex.example',
      certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-1111-2222-3333-444455556666',
      callbackUrls: 'https://staging.globex.example/',
    },
  },
])('cdk-nag AwsSolutions, $name', ({ context }) => {
  let app: App;
  let stack: Stack;
  let assemblyDir: string;

  beforeAll(() => {
    ({ app, stack } = aTenantApp({ context, cfnValidation: true }));
    // Throws (in-memory app mode, as under vitest) when a plugin reports a violation.
    assemblyDir = app.synth().directory;
  }, SYNTH_TIMEOUT);

  it('has no unacknowledged finding, error or warning', () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  it('leaves no violation in the synthesized validation report', () => {
    const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8'));
    const reports = report.pluginReports as { pluginName: string; violations: unknown[] }[];
    expect(reports.filter((plugin) => plugin.violations.length > 0)).toEqual([]);
  });

  it('leaves no AwsSolutions annotation, and no other error or warning annotation', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('justifies every acknowledgement with a real reason', () => {
    const acknowledgements = collectAcknowledgements(app).filter(({ id }) => id.startsWith('AwsSolutions'));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});

function collectAcknowledgements(app: App): { id: string; reason: string }[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag wiring', () => {
  it('fails the synth when a resource breaks an AwsSolutions rule', () => {
    const { app, stack } = aTenantApp();
    new CfnQueue(stack, 'UnencryptedQueue', {});
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  }, SYNTH_TIMEOUT);


  it('acknowledge wildcard findings one by one (a resource or an action), never the whole IAM5 rule', () => {
    const { app } = aTenantApp();
    const iam5 = collectAcknowledgements(app).filter(({ id }) => id.startsWith('AwsSolutions-IAM5'));
    expect(iam5.length).toBeGreaterThan(0);
    for (const { id } of iam5) expect(id).toMatch(/^AwsSolutions-IAM5\[(Resource|Action)::.+\]$/);
  }, SYNTH_TIMEOUT);
});
