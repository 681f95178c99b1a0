/**
 * A request body's schema as the router uses it, and how its issues become
 * the contract's field errors. Free of zod itself: a zod schema is one such
 * schema, and a function that bundles no zod (its budget is tight) can
 * declare a plain one (`plainBody`).
 */
import type { $ZodIssue } from 'zod/v4/core';

export type FieldErrors = Record<string, string>;

/** Issues of a body, as zod reports them (the fields the router reads). */
export type BodyIssue = Pick<$ZodIssue, 'code' | 'path' | 'message'> & { readonly keys?: readonly string[]; readonly params?: Record<string, unknown> };

/** What the router parses a body with: any zod schema, or a plain one. */
export interface BodySchema<Output = unknown> {
  safeParse(input: unknown): { success: true; data: Output } | { success: false; error: { issues: readonly BodyIssue[] } };
}

/** A plain body schema also carries the JSON Schema that documents it. */
export interface PlainBodySchema<Output> extends BodySchema<Output> {
  readonly jsonSchema: Record<string, unknown>;
}

/** The type of what a body schema accepts. */
export type BodyOutput<S> = S extends { safeParse(input: unknown): infer R } ? (R extends { success: true; data: infer D } ? D : never) : never;

/** Issues the request is refused for alone, whatever else is wrong (a closed body's unknown fields). */
export const REPORTED_ALONE = 'reportedAlone';

/** `{ "field.path": "message" }`, the first message per path; an issue at the root is the `body`'s. */
export function fieldsOf(issues: readonly BodyIssue[]): FieldErrors {
  const alone = issues.filter((issue) => issue.code === 'custom' && issue.params?.[REPORTED_ALONE]);
  const fields: FieldErrors = {};
  for (const issue of alone.length ? alone : issues) {
    const path = issue.path.map(String).join('.') || 'body';
    fields[path] ??= issue.code === 'unrecognized_keys' && issue.keys ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` : issue.message;
  }
  return fields;
}

/** A body checked by `check` (field errors, or none) and documented by a JSON Schema; what passes is the body as sent. */
export function plainBody<Output>(jsonSchema: Record<string, unknown>, check: (input: unknown) => FieldErrors | undefined): PlainBodySchema<Output> {
  return {
    jsonSchema,
    safeParse(input) {
      const errors = Object.entries(check(input) ?? {});
      if (!errors.length) return { success: true, data: input as Output };
      return { success: false, error: { issues: errors.map(([field, message]) => ({ code: 'custom', path: field === 'body' ? [] : [field], message })) } };
    },
  };
}
