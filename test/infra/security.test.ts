import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionsIn } from '../../infra/constructs/monitoring.js';
import { TenantSettingsError } from '../../infra/constructs/tenant-settings.js';
import type { TenantStack } from '../../infra/tenant-stack.js';
import { aTenantApp, logicalIdOf, synthesizedTenant, SYNTH_TIMEOUT } from './support.js';

/** Issue 20's security findings as the template shows them. */
let stack: TenantStack;
let template: Template;
let assemblyDir: string;
const logicalId = logicalIdOf;
const resourcesOf = (t: Template, type: string) => Object.values(t.findResources(type)) as { Properties: Record<string, any>; DependsOn?: string[] }[];
const callbacksOf = (t: Template) => resourcesOf(t, 'AWS::Cognito::UserPoolClient')[0].Properties.CallbackURLs as unknown[];

beforeAll(() => {
  ({ stack, template, assemblyDir } = synthesizedTenant());
}, SYNTH_TIMEOUT);

describe('sign-in callbacks', () => {
  it('send no sign-in to localhost unless the stack is built with devCallbacks', () => {
    expect(callbacksOf(template).filter((url) => typeof url === 'string' && url.startsWith('http://'))).toEqual([]);
    const dev = Template.fromStack(aTenantApp({ context: { devCallbacks: 'true' } }).stack);
    expect(callbacksOf(dev)).toEqual(expect.arrayContaining(['http://localhost:3000/', 'http://localhost:5173/']));
  });

  it('refuse an http://localhost callback URL from the settings without devCallbacks, and a flag that is not a boolean', () => {
    expect(() => aTenantApp({ context: { callbackUrls: 'http://localhost:4000/' } })).toThrow(TenantSettingsError);
    expect(callbacksOf(Template.fromStack(aTenantApp({ context: { callbackUrls: 'http://localhost:4000/', devCallbacks: true } }).stack))).toContain('http://localhost:4000/');
    expect(() => aTenantApp({ context: { devCallbacks: 'yes' } })).toThrow(/devCallbacks/);
  });
});

describe('user attributes', () => {
  it('let users write none of their own attributes but the required email: names are set by admins', () => {
    const client = resourcesOf(template, 'AWS::Cognito::UserPoolClient')[0];
    expect(client.Properties.WriteAttributes).toEqual(['email']);
  });

  it('give the functions that name staff (merges, suppressions...) the user pool to read names from (cognito-idp:ListUsers on this pool only)', () => {
    // The functions whose code reads the user directory (the stack gives that port only to them); merges and suppressions among them.
    const readers = functionsIn(stack).filter((fn) => fn.ports.has('userDirectory'));
    expect(readers).toEqual(expect.arrayContaining([stack.api.handlers.merge, stack.api.handlers.privacy]));
    for (const reader of readers) {
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(reader)];
      expect(fn.Properties.Environment.Variables.USER_POOL_ID).toEqual({ Ref: logicalId(stack.auth.userPool) });
    }
    const listing = resourcesOf(template, 'AWS::IAM::Policy').filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('cognito-idp:ListUsers'));
    const roles = (listing.flatMap((p) => p.Properties.Roles) as { Ref: string }[]).map((r) => r.Ref).sort();
    expect(roles).toEqual(readers.map((reader) => logicalId(reader.role!)).sort());
    for (const policy of listing) {
      const statement = policy.Properties.PolicyDocument.Statement.find((s: { Action: unknown }) => s.Action === 'cognito-idp:ListUsers');
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.auth.userPool), 'Arn'] });
    }
  });
});

describe('the SPA\'s content security policy', () => {
  it('pins connect-src to this stack\'s API host, login domain and Cognito API in the deployed index.html', () => {
    const [deployment] = resourcesOf(template, 'Custom::CDKBucketDeployment');
    const dir = readdirSync(assemblyDir).find((name) => existsSync(join(assemblyDir, name, 'index.html')) && readFileSync(join(assemblyDir, name, 'index.html'), 'utf8').includes('Content-Security-Policy'));
    expect(dir).toBeDefined();
    const html = readFileSync(join(assemblyDir, dir!, 'index.html'), 'utf8');
    // Deploy-time values travel as markers, numbered per source: index.html's are those of the first source that has any.
    const markers: Record<string, unknown> = deployment.Properties.SourceMarkers.find((m: Record<string, unknown>) => Object.keys(m).length > 0);
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(policy).toBeDefined();
    const sources = policy!
      .replace(/<<marker:0xbaba:\d+>>/g, (marker) => JSON.stringify(markers[marker]))
      .replace(/^connect-src /, '')
      .split(' ');
    expect(sources[0]).toBe("'self'");
    expect(sources.join(' ')).not.toContain('*');
    expect(sources[1]).toBe(`https://{"Ref":"${logicalId(stack.api.httpApi)}"}.execute-api.{"Ref":"AWS::Region"}.{"Ref":"AWS::URLSuffix"}`);
    expect(sources.slice(2).join(' ')).toMatch(/^https:\/\/acme-contacts-.*\.amazoncognito\.com https:\/\/cognito-idp\./);
    // First in <head>, so it binds every script the page loads.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.search(/<script|<link/) === -1 ? Infinity : html.search(/<script|<link/));
  });
});

describe('POST /v1/events', () => {
  it('has a throttle of its own, set on the stage after the route exists', () => {
    const [stage] = resourcesOf(template, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.RouteSettings).toEqual({ 'POST /v1/events': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 } });
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const routes = template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: 'POST /v1/events' } });
    expect(Object.keys(routes)).toHaveLength(1);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(Object.keys(routes)));
  });
});
