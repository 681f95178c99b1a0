import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/constructs/lambda-function.js';
import { readTenantSettings, TenantSettingsError } from '../../infra/constructs/tenant-settings.js';
import { aTenantApp, SYNTH_TIMEOUT } from './support.js';

const settingsFrom = (context: Record<string, unknown>) => readTenantSettings(new App({ context }).node);

describe('tenant settings from context', () => {
  it('defaults the timezone to America/Sao_Paulo and the phone region to BR', () => {
    expect(settingsFrom({ tenant: 'acme' })).toEqual({
      tenant: 'acme',
      timezone: 'America/Sao_Paulo',
      phoneRegion: 'BR',
      domain: undefined,
      certificateArn: undefined,
      callbackUrls: [],
      loginDomainPrefix: undefined,
      alarmEmails: [],
      recycleDays: 30,
      analyticsStatePacking: true,
      wave: 1,
      account: undefined,
      region: undefined,
    });
  });

  it('takes the optional keys, callbackUrls as a comma-separated string or a list', () => {
    const settings = settingsFrom({
      tenant: 'globex-2',
      timezone: 'America/Bogota',
      phoneRegion: 'co',
      domain: 'contacts.globex.example',
      certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/abc',
      callbackUrls: 'https://a.globex.example/, https://b.globex.example/',
    });
    expect(settings).toMatchObject({ tenant: 'globex-2', timezone: 'America/Bogota', phoneRegion: 'CO', domain: 'contacts.globex.example' });
    expect(settings.callbackUrls).toEqual(['https://a.globex.example/', 'https://b.globex.example/']);
    expect(settingsFrom({ tenant: 'acme', callbackUrls: ['https://x.example/'] }).callbackUrls).toEqual(['https://x.example/']);
  });

  it.each([
    [{}, /missing tenant/],
    [{ tenant: '' }, /missing tenant/],
    [{ tenant: 'Acme' }, /invalid tenant "Acme"/],
    [{ tenant: '1acme' }, /invalid tenant/],
    [{ tenant: 'a' }, /invalid tenant/],
    [{ tenant: 'a'.repeat(32) }, /invalid tenant/],
    [{ tenant: 'acme_corp' }, /invalid tenant/],
    [{ tenant: 'acme', timezone: 'Mars/Olympus' }, /invalid timezone/],
    [{ tenant: 'acme', phoneRegion: 'BRA' }, /invalid phoneRegion/],
    [{ tenant: 'acme', domain: 'contacts.acme.example' }, /needs "certificateArn"/],
    [{ tenant: 'acme', callbackUrls: 'http://evil.example/' }, /invalid callback URL/],
    [{ tenant: 'aws-team' }, /loginDomainPrefix/],
    [{ tenant: 'acme', alarmEmail: 'oncall' }, /invalid alarmEmail "oncall"/],
    [{ tenant: 'acme', recycleDays: '0' }, /invalid recycleDays "0"/],
    [{ tenant: 'acme', analyticsStatePacking: 'no' }, /invalid analyticsStatePacking "no": true or false/],
    [{ tenant: 'acme', analyticsStatePacking: 1 }, /invalid analyticsStatePacking 1: true or false/],
    [{ tenant: 'acme', wave: -1 }, /invalid wave -1/],
    [{ tenant: 'acme', account: '1234' }, /invalid account "1234"/],
    [{ tenant: 'acme', region: 'brazil' }, /invalid region "brazil"/],
  ])('rejects %j with a clear message', (context, message) => {
    expect(() => settingsFrom(context)).toThrow(TenantSettingsError);
    expect(() => settingsFrom(context)).toThrow(message);
  });

  it('takes analyticsStatePacking as true or false, from -c (a string) or JSON (a boolean)', () => {
    expect(settingsFrom({ tenant: 'acme', analyticsStatePacking: 'false' }).analyticsStatePacking).toBe(false);
    expect(settingsFrom({ tenant: 'acme', analyticsStatePacking: false }).analyticsStatePacking).toBe(false);
    expect(settingsFrom({ tenant: 'acme', analyticsStatePacking: 'true' }).analyticsStatePacking).toBe(true);
  });

  it('accepts the longest and shortest valid tenant names', () => {
    expect(settingsFrom({ tenant: `a${'b'.repeat(30)}` }).tenant).toHaveLength(31);
    expect(settingsFrom({ tenant: 'ab' }).tenant).toBe('ab');
  });
});

describe('the app', () => {
  it('creates one stack named after the tenant, with the tenant in every function environment', () => {
    const { app, stack } = aTenantApp({ context: { tenant: 'initech', timezone: 'Europe/Lisbon', phoneRegion: 'PT' } });
    expect(app.node.children.filter((child) => child instanceof Stack)).toEqual([stack]);
    expect(stack.stackName).toBe('contacts-initech');
    const functions = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
      ([id]) => !id.startsWith('CustomCDKBucketDeployment'),
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Environment.Variables, id).toMatchObject({
        TENANT: 'initech',
        TENANT_TIMEZONE: 'Europe/Lisbon',
        DEFAULT_PHONE_REGION: 'PT',
      });
    }
  }, SYNTH_TIMEOUT);

  /** Runs the app as `cdk synth` does, with `context` as the CLI hands it over. */
  const runApp = (context: Record<string, unknown>) => {
    const tsx = join(REPO_ROOT, 'node_modules/.bin/tsx');
    const node = join(REPO_ROOT, 'node_modules/.bin/node');
    expect(existsSync(tsx)).toBe(true);
    return spawnSync(existsSync(node) ? node : process.execPath, [tsx, 'infra/bin/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
  };

  it('exits with status 1 and says what to do when there is neither a tenants file nor a tenant', () => {
    const result = runApp({ tenantsFile: 'no-such-tenants.json' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error: no tenants file at no-such-tenants.json');
    expect(result.stderr).toContain('`npx cdk synth -c tenant=acme`');
  }, SYNTH_TIMEOUT);

  it('exits with status 1 and names the entry when the tenants file is bad', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenants-'));
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify({ tenants: [{ tenant: 'acme' }, { tenant: 'globex', timezone: 'Mars/Olympus' }] }));
    try {
      const result = runApp({ tenantsFile: file });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/error: .*tenants\.json, tenants\[1\] "globex": invalid timezone "Mars\/Olympus"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, SYNTH_TIMEOUT);
});
