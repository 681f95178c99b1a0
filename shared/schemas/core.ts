/**
 * The building blocks of the API's request and answer schemas (zod/mini,
 * tree-shaken into the functions that use them). A request schema's issues
 * become the contract's field errors (`{"field.path": "message"}`) through
 * `fieldsOf` (./fields.ts); every rule sets its message, the API's own.
 */
import * as z from 'zod/mini';
import { REPORTED_ALONE, type FieldErrors } from './fields.js';

export type { FieldErrors } from './fields.js';
export type Schema = z.ZodMiniType;

/**
 * Request schemas whose rules a plain zod shape cannot say (a message that
 * depends on another field, a default region) validate with a function and
 * are documented by a twin: the shape they accept.
 */
const DOCUMENTED_AS = new WeakMap<Schema, Schema>();

/**
 * JSON Schema keywords a request schema's documentation adds (a
 * description, `additionalProperties: false`), kept beside the schema rather
 * than in zod's registry: the functions bundle no registry code.
 */
const NOTES = new WeakMap<z.core.$ZodType, Record<string, unknown>>();

/** Adds JSON Schema keywords to `schema`'s documentation. */
export function note<S extends z.core.$ZodType>(schema: S, keywords: Record<string, unknown>): S {
  NOTES.set(schema, { ...NOTES.get(schema), ...keywords });
  return schema;
}

/** The keywords `note` added to a schema (the OpenAPI generator merges them). */
export const notesOf = (schema: z.core.$ZodType): Record<string, unknown> | undefined => NOTES.get(schema);

/** The schema the OpenAPI document shows for `schema`. */
export const documentedSchema = (schema: Schema): Schema => DOCUMENTED_AS.get(schema) ?? schema;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A name: text, trimmed, 1 to `max` characters. */
export const name = (max: number) =>
  z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'is required'), z.maxLength(max, `must be at most ${max} characters`));

/**
 * A JSON object with exactly these fields: anything else is refused as an
 * `unknown field`, alone (the catalog's bodies).
 */
export function closedBody<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const allowed = new Set(Object.keys(shape));
  const schema = z
    .looseObject(shape, { error: 'must be a JSON object' })
    .check(
      z.superRefine(
        (value, ctx) => {
          if (!isObject(value)) return;
          for (const key of Object.keys(value)) {
            if (!allowed.has(key)) ctx.issues.push({ code: 'custom', path: [key], message: 'unknown field', params: { [REPORTED_ALONE]: true }, input: value[key] });
          }
        },
        { when: () => true },
      ),
    );
  return note(schema, { additionalProperties: false }) as unknown as z.ZodMiniObject<Shape, z.core.$strict>;
}

/** A body whose fields are read from whatever was sent: a body that is no object counts as `{}`. */
export function lenientBody<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const doc = z.looseObject(shape);
  const schema = z.pipe(
    z.transform((value: unknown) => (isObject(value) ? value : {})),
    doc,
  );
  DOCUMENTED_AS.set(schema, doc);
  return schema as unknown as typeof doc;
}

/**
 * A request schema that validates with `check` (field errors, or none) and
 * is documented as `doc`; what passes is the body as sent.
 */
export function validatedBy<Doc extends Schema>(doc: Doc, check: (input: unknown) => FieldErrors | undefined): z.ZodMiniType<z.input<Doc>, z.input<Doc>> {
  const schema = z.unknown().check(
    z.superRefine((value, ctx) => {
      for (const [field, message] of Object.entries(check(value) ?? {})) {
        ctx.issues.push({ code: 'custom', path: field === 'body' ? [] : [field], message, input: value });
      }
    }),
  );
  DOCUMENTED_AS.set(schema, doc);
  return schema as unknown as z.ZodMiniType<z.input<Doc>, z.input<Doc>>;
}

/**
 * A body parsed by `parse` (its own field errors, or the value it makes of
 * the input) and documented by `doc`: the handler receives the parsed value,
 * so the service never parses the body again.
 */
export function parsedBy<Doc extends Schema, Output>(
  doc: Doc,
  parse: (input: unknown) => { ok: true; value: Output } | { ok: false; fields: FieldErrors },
): z.ZodMiniType<Output, z.input<Doc>> {
  const schema = z.pipe(
    z.unknown(),
    z.transform((value: unknown, ctx) => {
      const parsed = parse(value);
      if (parsed.ok) return parsed.value;
      for (const [field, message] of Object.entries(parsed.fields)) {
        ctx.issues.push({ code: 'custom', path: field === 'body' ? [] : [field], message, input: value });
      }
      return z.NEVER;
    }),
  );
  DOCUMENTED_AS.set(schema as unknown as Schema, doc);
  return schema as unknown as z.ZodMiniType<Output, z.input<Doc>>;
}
