import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { aTenantApp, SYNTH_TIMEOUT } from './support.js';

/** A point-in-time restore being switched to (README, Operations): the stack uses it instead of its own table. */
const RESTORED = 'contacts-acme-restored-20261206';
const STREAM = `arn:aws:dynamodb:sa-east-1:111122223333:table/${RESTORED}/stream/2026-12-06T10:00:00.000`;

describe('switching a tenant to a restored table', () => {
  it.each([
    [{ tableName: RESTORED }, /"tableName" and "tableStreamArn" go together/],
    [{ tableStreamArn: STREAM }, /"tableName" and "tableStreamArn" go together/],
    [{ tableName: RESTORED, tableStreamArn: STREAM.replace(RESTORED, 'another-table') }, /invalid tableStreamArn .*: the stream ARN of table contacts-acme-restored-20261206/],
    [{ tableName: 'x', tableStreamArn: STREAM }, /invalid tableName "x"/],
  ])('refuses %j', (context, message) => {
    expect(() => aTenantApp({ context })).toThrow(message);
  });

  it.each([
    ['an environment-agnostic stack', {}],
    ['a stack with its account and region', { account: '111122223333', region: 'sa-east-1' }],
  ])('points every function and the stream at it, leaves the own table out and stays cdk-nag clean (%s)', (_, env) => {
    const { app, stack } = aTenantApp({ context: { tableName: RESTORED, tableStreamArn: STREAM, ...env } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
    for (const [id, fn] of functions) expect(fn.Properties.Environment.Variables.TABLE_NAME, id).toBe(RESTORED);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: STREAM });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(`:table/${RESTORED}/index/*`);
    template.hasOutput('TableName', { Value: RESTORED });
    // Throws when cdk-nag reports an unacknowledged finding.
    expect(() => app.synth()).not.toThrow();
  }, SYNTH_TIMEOUT);
});
