/** Lists, tags, companies, departments, custom field definitions and agents: request and answer schemas. */
import { CUSTOM_FIELD_KEY_RULE, customFieldKeyFor, isCustomFieldKey, keyFromName } from '../custom-field-key.js';
import { fold } from '../text.js';
import * as z from 'zod/mini';
import { closedBody, name, note, validatedBy, type FieldErrors } from './core.js';

/** The longest name of each kind. */
export const NAME_MAX = { list: 100, tag: 60, company: 100, department: 100, customField: 100, agent: 100 } as const;

/** `{"name"}`, nothing else: creates or renames a list, tag, company, department or agent. */
export const nameBody = (kind: keyof typeof NAME_MAX) => closedBody({ name: name(NAME_MAX[kind]) });

export const CUSTOM_FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'choice'] as const;
export const AGENT_KINDS = ['agent', 'group'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const nameProblem = (value: unknown, max: number) =>
  typeof value !== 'string' || value.trim() === '' ? 'is required' : value.trim().length > max ? `must be at most ${max} characters` : undefined;

/** The catalog's bodies: an object of known fields; unknown ones are refused alone. */
function catalogBody(allowed: readonly string[], body: unknown, check: (b: Record<string, unknown>, errors: FieldErrors) => void): FieldErrors {
  if (!isObject(body)) return { body: 'must be a JSON object' };
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length) return Object.fromEntries(unknown.map((key) => [key, 'unknown field']));
  const errors: FieldErrors = {};
  check(body, errors);
  return errors;
}

function choicesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) return 'must list 1 to 100 choices';
  const choices = value.map((choice) => (typeof choice === 'string' ? choice.trim() : ''));
  if (choices.some((choice) => choice === '' || choice.length > 100)) return 'each choice is a text of 1 to 100 characters';
  if (new Set(choices.map(fold)).size !== choices.length) return 'choices must differ (ignoring case and accents)';
  return undefined;
}

const customFieldDoc = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(NAME_MAX.customField)),
  key: z.optional(note(z.string(), { description: `Made from the name when absent; ${CUSTOM_FIELD_KEY_RULE}.` })),
  type: z.enum(CUSTOM_FIELD_TYPES),
  choices: z.optional(note(z.array(z.string()), { description: 'A choice field only: 1 to 100 different texts.' })),
});
const CUSTOM_FIELD_KEYS = ['name', 'key', 'type', 'choices'];

/** `{"name","key"?,"type","choices"?}`: a custom field definition. */
export const customFieldBody = validatedBy(customFieldDoc, (body) =>
  catalogBody(CUSTOM_FIELD_KEYS, body, (b, errors) => {
    const problem = nameProblem(b.name, NAME_MAX.customField);
    if (problem) errors.name = problem;
    const given = typeof b.name === 'string' ? b.name.trim() : '';
    const key = b.key === undefined ? customFieldKeyFor(keyFromName(given)) : typeof b.key === 'string' ? b.key.trim() : '';
    if (!isCustomFieldKey(key) && !(b.key === undefined && problem)) errors.key = CUSTOM_FIELD_KEY_RULE;
    if (!(CUSTOM_FIELD_TYPES as readonly unknown[]).includes(b.type)) errors.type = `must be one of ${CUSTOM_FIELD_TYPES.join(', ')}`;
    if (b.type === 'choice') {
      const choices = choicesProblem(b.choices);
      if (choices) errors.choices = choices;
    } else if (b.choices !== undefined) errors.choices = 'only a choice field has choices';
  }),
);

/** A new name or new choices (a choice field); key and type cannot change, which the service checks against the definition. */
export const customFieldPatchBody = validatedBy(z.partial(customFieldDoc), (body) =>
  catalogBody(CUSTOM_FIELD_KEYS, body, (b, errors) => {
    if (b.name === undefined) return;
    const problem = nameProblem(b.name, NAME_MAX.customField);
    if (problem) errors.name = problem;
  }),
);

const agentDoc = z.object({ name: z.string().check(z.minLength(1), z.maxLength(NAME_MAX.agent)), kind: z.enum(AGENT_KINDS), type: z.optional(z.enum(AGENT_KINDS)) });

/** `{"name","kind"}` (`type` is accepted for `kind`; given both, they must match). */
export const agentBody = validatedBy(agentDoc, (body) =>
  catalogBody(['name', 'kind', 'type'], body, (b, errors) => {
    const problem = nameProblem(b.name, NAME_MAX.agent);
    if (problem) errors.name = problem;
    const kind = b.kind ?? b.type;
    if (kind !== 'agent' && kind !== 'group') errors.kind = 'must be agent or group';
    else if (b.kind !== undefined && b.type !== undefined && b.kind !== b.type) errors.type = 'must match kind';
  }),
);
