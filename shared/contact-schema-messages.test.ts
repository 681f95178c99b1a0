import { describe, expect, it } from 'vitest';
import { parseContactFields } from './contact-schema.js';

/**
 * The exact field messages the API and the SPA's forms show, pinned so the
 * schema's implementation (zod/mini, built on first use) can change under them.
 * Runs in a process where nothing else configured zod, so the default English
 * messages must come from the schema module itself.
 */
const create = (input: unknown) => parseContactFields(input, { mode: 'create', defaultRegion: 'BR' });
const patch = (input: unknown) => parseContactFields(input, { mode: 'patch', defaultRegion: 'BR' });
const fieldsOf = (result: ReturnType<typeof create>) => (result.ok ? {} : result.fields);

describe('contact field messages', () => {
  it.each([
    [{ firstName: 'x'.repeat(101) }, 'firstName', 'must be at most 100 characters'],
    [{ lastName: 'x'.repeat(101) }, 'lastName', 'must be at most 100 characters'],
    [{ phone: '1'.repeat(41) }, 'phone', 'is not a valid phone number'],
    [{ phone: '12' }, 'phone', 'is not a valid phone number'],
    [{ email: `${'x'.repeat(250)}@x.com` }, 'email', 'must be at most 254 characters'],
    [{ email: 'not-an-email' }, 'email', 'is not a valid email address'],
    [{ country: 'BRA' }, 'country', 'must be an ISO 3166-1 alpha-2 code, e.g. BR'],
    [{ language: 'english!' }, 'language', 'must be a language tag, e.g. pt-BR'],
    [{ origin: { type: 'fax', label: 'x' } }, 'origin.type', 'must be one of app, app_spec, campaign, manual_import, api, csv, direct, chatbot'],
    [{ origin: { type: 'api', label: '  ' } }, 'origin.label', 'must not be empty'],
    [{ origin: { type: 'api', label: 'x'.repeat(201) } }, 'origin.label', 'must be at most 200 characters'],
    [{ origin: { type: 'api', label: 'x', extra: 1 } }, 'origin', 'unknown field: extra'],
    [{ companyId: ' ' }, 'companyId', 'must not be empty'],
    [{ departmentId: 'x'.repeat(65) }, 'departmentId', 'is not a valid id'],
    [{ assignee: { type: 'bot', id: 'a1' } }, 'assignee.type', 'must be agent or group'],
    [{ customFields: { tier: [1] } }, 'customFields.tier', 'must be a string, number, boolean or null'],
    [{ customFields: { notes: 'x'.repeat(1001) } }, 'customFields.notes', 'Too big: expected string to have <=1000 characters'],
    [{ customFields: { ['k'.repeat(65)]: 1 } }, `customFields.${'k'.repeat(65)}`, 'keys must start with a letter, hold only letters, digits and _ (at most 64) and not be a built-in object name (constructor, toString...)'],
    [{ customFields: { '=WEBSERVICE("x")': 1 } }, 'customFields.=WEBSERVICE("x")', 'keys must start with a letter, hold only letters, digits and _ (at most 64) and not be a built-in object name (constructor, toString...)'],
    [{ customFields: { 'Data de nascimento': 1 } }, 'customFields.Data de nascimento', 'keys must start with a letter, hold only letters, digits and _ (at most 64) and not be a built-in object name (constructor, toString...)'],
    [{ customFields: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) }, 'customFields', 'at most 100 custom fields'],
    [{ channels: { sms: 'maybe' } }, 'channels.sms', 'must be subscribed or unsubscribed'],
    [{ channels: { fax: 'subscribed' } }, 'channels', 'unknown field: fax'],
    [{ firstName: 5 }, 'firstName', 'is required'],
    [{ hack: 1, other: 2 }, 'body', 'unknown fields: hack, other'],
  ])('%j -> %s: %s', (input, field, message) => {
    expect(fieldsOf(patch(input))[field]).toBe(message);
  });

  it('requires one of firstName, phone or email on create only', () => {
    expect(fieldsOf(create({ lastName: 'Silva' }))).toEqual({ firstName: 'one of firstName, phone or email is required' });
    expect(patch({ lastName: 'Silva' })).toEqual({ ok: true, value: { lastName: 'Silva' } });
  });

  it('normalizes every field it accepts', () => {
    expect(
      create({
        firstName: '  Ana ',
        email: ' ANA@X.COM ',
        phone: '(11) 91234-5678',
        language: ' pt-BR ',
        origin: { type: 'api', label: ' API ' },
        assignee: { type: 'group', id: ' g1 ' },
        customFields: { ' tier ': 'gold', score: 3, vip: true, gone: null },
        channels: { sms: 'subscribed' },
        lastName: '',
      }),
    ).toEqual({
      ok: true,
      value: {
        firstName: 'Ana',
        lastName: null,
        email: 'ana@x.com',
        phone: '+5511912345678',
        country: 'BR',
        language: 'pt-BR',
        origin: { type: 'api', label: 'API' },
        assignee: { type: 'group', id: 'g1' },
        customFields: { tier: 'gold', score: 3, vip: true, gone: null },
        channels: { sms: 'subscribed' },
      },
    });
  });

  it('keeps an explicit country over the one the phone implies, upper-cased', () => {
    expect(patch({ phone: '+1 415 555 2671', country: ' pt ' })).toEqual({ ok: true, value: { phone: '+14155552671', country: 'PT' } });
  });
});
