import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFleetApp } from '../../infra/bin/app.js';
import { TenantSettingsError } from '../../infra/constructs/tenant-settings.js';
import type { TenantStack } from '../../infra/tenant-stack.js';
import { DEFAULT_TENANTS_FILE, parseTenantsFile, readTenantsFile } from '../../infra/tenants-file.js';
import { SYNTH_TIMEOUT } from './support.js';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const CERT = 'arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-1111-2222-3333-444455556666';

/** A fleet of three, each tenant with settings of its own. */
const THREE_TENANTS = {
  defaults: { alarmEmail: 'oncall@ops.example', phoneRegion: 'BR' },
  tenants: [
    { tenant: 'acme', wave: 0 },
    { tenant: 'globex', timezone: 'America/Bogota', phoneRegion: 'CO', recycleDays: 60, analyticsStatePacking: false, domain: 'contacts.globex.example', certificateArn: CERT },
    { tenant: 'initech', timezone: 'Europe/Lisbon', phoneRegion: 'PT', alarmEmail: ['ops@initech.example', 'cto@initech.example'], region: 'eu-west-1', wave: 2 },
  ],
};

let dir: string;
const fileWith = (json: unknown, name = 'tenants.json'): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};
const fleet = (context: Record<string, unknown>) => buildFleetApp({ context: { ...SKIP_BUNDLING, ...context } });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tenants-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the tenants file', () => {
  it('applies defaults under each entry, the entry winning', () => {
    const [acme, globex, initech] = parseTenantsFile(THREE_TENANTS);
    expect(acme).toMatchObject({ tenant: 'acme', timezone: 'America/Sao_Paulo', phoneRegion: 'BR', alarmEmails: ['oncall@ops.example'], wave: 0, recycleDays: 30, analyticsStatePacking: true });
    expect(globex).toMatchObject({ tenant: 'globex', timezone: 'America/Bogota', phoneRegion: 'CO', recycleDays: 60, analyticsStatePacking: false, domain: 'contacts.globex.example', wave: 1 });
    expect(initech).toMatchObject({ alarmEmails: ['ops@initech.example', 'cto@initech.example'], region: 'eu-west-1', wave: 2 });
  });

  it.each([
    [{ tenants: [{ tenant: 'acme' }, { tenant: 'globex', timezon: 'America/Bogota' }] }, 'tenants.json, tenants[1] "globex": unknown key "timezon"; did you mean "timezone"?'],
    [{ tenants: [{ tenant: 'acme', timezone: 'Mars/Olympus' }] }, 'tenants.json, tenants[0] "acme": invalid timezone "Mars/Olympus"'],
    [{ tenants: [{ tenant: 'acme' }, { tenant: 'globex' }, { tenant: 'acme', phoneRegion: 'CO' }] }, 'tenants.json, tenants[2] "acme": duplicate tenant "acme", already used by tenants[0]'],
    [
      { tenants: [{ tenant: 'acme', domain: 'c.example.com', certificateArn: CERT }, { tenant: 'globex', domain: 'c.example.com', certificateArn: CERT }] },
      'tenants.json, tenants[1] "globex": duplicate domain "c.example.com", already used by tenants[0]',
    ],
    [{ tenants: [{ tenant: 'Acme' }] }, 'tenants.json, tenants[0] "Acme": invalid tenant "Acme"'],
    [{ tenants: [{ timezone: 'America/Bogota' }] }, 'tenants.json, tenants[0]: missing "tenant"'],
    [{ tenants: ['acme'] }, 'tenants.json, tenants[0]: each entry must be an object'],
    [{ tenants: [{ tenant: 'acme', domain: 'contacts.acme.example' }] }, 'tenants.json, tenants[0] "acme": setting "domain" needs "certificateArn"'],
    [{ tenants: [{ tenant: 'acme', recycleDays: 0 }] }, 'tenants.json, tenants[0] "acme": invalid recycleDays 0'],
    [{ tenants: [{ tenant: 'acme', analyticsStatePacking: 'off' }] }, 'tenants.json, tenants[0] "acme": invalid analyticsStatePacking "off": true or false'],
    [{ defaults: { analyticsStatePacking: 0 }, tenants: [{ tenant: 'acme' }] }, 'tenants.json, tenants[0] "acme": invalid analyticsStatePacking 0: true or false'],
    [{ tenants: [{ tenant: 'acme', alarmEmail: 'not-an-address' }] }, 'tenants.json, tenants[0] "acme": invalid alarmEmail "not-an-address"'],
    [{ defaults: { domain: 'c.example.com' }, tenants: [{ tenant: 'acme' }] }, 'tenants.json, defaults: "domain" names one tenant\'s resources'],
    [{ defaults: { timezon: 'UTC' }, tenants: [{ tenant: 'acme' }] }, 'tenants.json, defaults: unknown key "timezon"'],
    [{ tenant: 'acme' }, 'tenants.json: unknown key "tenant"'],
    [{ tenants: [] }, 'tenants.json: "tenants" must be a non-empty list'],
    [[{ tenant: 'acme' }], 'tenants.json: expected an object with a "tenants" list'],
  ])('refuses %j, naming the entry', (json, message) => {
    expect(() => parseTenantsFile(json)).toThrow(TenantSettingsError);
    expect(() => parseTenantsFile(json)).toThrow(message);
  });

  it('allows "$comment" anywhere', () => {
    expect(parseTenantsFile({ $comment: 'fleet', defaults: { $comment: 'shared' }, tenants: [{ tenant: 'acme', $comment: 'canary' }] })).toHaveLength(1);
  });

  it('says which file is missing or not JSON', () => {
    expect(() => readTenantsFile(join(dir, 'none.json'))).toThrow(/no tenants file at .*none\.json/);
    expect(() => readTenantsFile(fileWith('{ "tenants": [ ', 'broken.json'))).toThrow(/broken\.json is not valid JSON/);
  });

  it('ships an example that validates', () => {
    const tenants = readTenantsFile(DEFAULT_TENANTS_FILE);
    expect(tenants.length).toBeGreaterThanOrEqual(3);
    expect(tenants.some((tenant) => tenant.wave === 0)).toBe(true);
  });
});

describe('the app from a tenants file', () => {
  let stacks: TenantStack[];
  beforeAll(() => {
    ({ stacks } = fleet({ tenantsFile: fileWith(THREE_TENANTS, 'three.json') }));
  }, SYNTH_TIMEOUT);

  const envOf = (stack: Stack) =>
    Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))
      .map(([, fn]) => fn.Properties.Environment.Variables as Record<string, unknown>);
  const emailsOf = (stack: Stack) =>
    Object.values(Template.fromStack(stack).findResources('AWS::SNS::Subscription')).map((subscription) => subscription.Properties.Endpoint);

  it('builds one stack per tenant, named after it', () => {
    expect(stacks.map((stack) => stack.stackName)).toEqual(['contacts-acme', 'contacts-globex', 'contacts-initech']);
  });

  it('gives each stack its own settings', () => {
    const [acme, globex, initech] = stacks;
    for (const env of envOf(acme)) expect(env).toMatchObject({ TENANT: 'acme', TENANT_TIMEZONE: 'America/Sao_Paulo', DEFAULT_PHONE_REGION: 'BR', RECYCLE_DAYS: '30', ANALYTICS_STATE_PACKING: 'on' });
    for (const env of envOf(globex)) expect(env).toMatchObject({ TENANT: 'globex', TENANT_TIMEZONE: 'America/Bogota', DEFAULT_PHONE_REGION: 'CO', RECYCLE_DAYS: '60', ANALYTICS_STATE_PACKING: 'off' });
    for (const env of envOf(initech)) expect(env).toMatchObject({ TENANT: 'initech', TENANT_TIMEZONE: 'Europe/Lisbon', DEFAULT_PHONE_REGION: 'PT' });
    expect(emailsOf(acme)).toEqual(['oncall@ops.example']);
    expect(emailsOf(initech)).toEqual(['ops@initech.example', 'cto@initech.example']);
    Template.fromStack(globex).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: { Aliases: ['contacts.globex.example'], ViewerCertificate: { AcmCertificateArn: CERT, SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' } },
    });
    expect(initech.region).toBe('eu-west-1');
    const [acmeDistribution] = Object.values(Template.fromStack(acme).findResources('AWS::CloudFront::Distribution'));
    expect(acmeDistribution.Properties.DistributionConfig.Aliases).toBeUndefined();
  });

  it('tags every stack with its tenant and wave', () => {
    const tagsOf = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0].Properties.Tags;
    expect(tagsOf(stacks[0])).toEqual(expect.arrayContaining([{ Key: 'contacts:tenant', Value: 'acme' }, { Key: 'contacts:wave', Value: '0' }]));
    expect(tagsOf(stacks[2])).toEqual(expect.arrayContaining([{ Key: 'contacts:tenant', Value: 'initech' }, { Key: 'contacts:wave', Value: '2' }]));
  });

  it('builds one wave with -c wave=N, and says which waves there are when none matches', () => {
    expect(fleet({ tenantsFile: fileWith(THREE_TENANTS, 'three.json'), wave: '0' }).stacks.map((stack) => stack.stackName)).toEqual(['contacts-acme']);
    expect(() => fleet({ tenantsFile: fileWith(THREE_TENANTS, 'three.json'), wave: 5 })).toThrow('no tenant is in wave 5; the waves are 0, 1, 2');
  }, SYNTH_TIMEOUT);

  it('builds one tenant of the file with -c tenant, from its entry', () => {
    const { stacks: one } = fleet({ tenantsFile: fileWith(THREE_TENANTS, 'three.json'), tenant: 'globex' });
    expect(one.map((stack) => stack.stackName)).toEqual(['contacts-globex']);
    for (const env of envOf(one[0])) expect(env).toMatchObject({ TENANT_TIMEZONE: 'America/Bogota', RECYCLE_DAYS: '60', ANALYTICS_STATE_PACKING: 'off' });
  }, SYNTH_TIMEOUT);

  it('refuses -c settings for a tenant the file lists (the next deploy of all would undo them)', () => {
    expect(() => fleet({ tenantsFile: fileWith(THREE_TENANTS, 'three.json'), tenant: 'globex', timezone: 'UTC' })).toThrow(
      /tenant "globex" is listed in .*three\.json: change timezone there/,
    );
  });

  it('still builds a tenant the file does not list from -c settings alone', () => {
    const { stacks: one } = fleet({ tenantsFile: fileWith(THREE_TENANTS, 'three.json'), tenant: 'hooli', timezone: 'UTC' });
    expect(one.map((stack) => stack.stackName)).toEqual(['contacts-hooli']);
    for (const env of envOf(one[0])) expect(env).toMatchObject({ TENANT: 'hooli', TENANT_TIMEZONE: 'UTC' });
  }, SYNTH_TIMEOUT);

  it('fails the synth on a bad file with a message naming the entry', () => {
    const bad = fileWith({ tenants: [{ tenant: 'acme' }, { tenant: 'globex', phoneRegion: 'Colombia' }] }, 'bad.json');
    expect(() => fleet({ tenantsFile: bad })).toThrow(/bad\.json, tenants\[1\] "globex": invalid phoneRegion "COLOMBIA"/);
  });
});

describe('the example tenants file', () => {
  it('synthesizes every tenant offline, cdk-nag included', () => {
    const { app, stacks } = fleet({});
    expect(stacks.map((stack) => stack.stackName)).toEqual(readTenantsFile(DEFAULT_TENANTS_FILE).map((tenant) => `contacts-${tenant.tenant}`));
    const assembly = app.synth();
    expect(assembly.stacks.map((stack) => stack.stackName).sort()).toEqual(stacks.map((stack) => stack.stackName).sort());
  }, SYNTH_TIMEOUT * 3);
});
