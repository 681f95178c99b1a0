/**
 * Typed domain errors. One middleware (./http.ts) maps them to the API's
 * error JSON; anything else becomes a generic 500 with details in the log.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends HttpError {
  constructor(fields: Record<string, string>, message = 'The request has invalid fields.') {
    super(400, 'validation_error', message, fields);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'Authentication is required.') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'Your role does not allow this action.') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends HttpError {
  constructor(what = 'resource') {
    super(404, 'not_found', `The ${what} does not exist.`);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, fields?: Record<string, string>) {
    super(409, 'conflict', message, fields);
  }
}

/**
 * A phone or email on the suppression list (API.md "Erasure and
 * suppression"): 409 with code `suppressed`, `fields` naming which one.
 */
export class SuppressedError extends HttpError {
  constructor(fields: Record<string, string>) {
    super(409, 'suppressed', `This ${Object.keys(fields).join(' and ')} belongs to a person whose data was erased; it cannot be used again unless an admin lifts its suppression.`, fields);
  }
}

export class TooLargeError extends HttpError {
  constructor(message: string) {
    super(413, 'too_large', message);
  }
}

export class ThrottledError extends HttpError {
  constructor(message = 'Too many requests; retry shortly.') {
    super(429, 'throttled', message);
  }
}

/** True when a DynamoDB error is a failed condition (alone or inside a cancelled transaction). */
export function isConditionFailure(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name === 'ConditionalCheckFailedException') return true;
  return e?.name === 'TransactionCanceledException' && !!e.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed');
}

/** Cancellation reason codes of a cancelled transaction, in item order. */
export function cancellationCodes(error: unknown): (string | undefined)[] {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  return e?.name === 'TransactionCanceledException' ? (e.CancellationReasons ?? []).map((r) => r.Code) : [];
}
