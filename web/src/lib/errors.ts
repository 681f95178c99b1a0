/** Turns API errors into words in the user's language. */
import { ApiError } from './api';
import { t } from './i18n.svelte';

const CODE_KEYS = {
  validation_error: 'error.validation',
  unauthorized: 'error.unauthorized',
  forbidden: 'error.forbidden',
  not_found: 'error.notFound',
  conflict: 'error.conflict',
  too_large: 'error.tooLarge',
  throttled: 'error.throttled',
  network: 'error.network',
  server_error: 'error.server',
  suppressed: 'error.suppressed',
} as const;

/** A one-line description: the localized meaning of the code, plus the API's own message for 4xx. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const key = CODE_KEYS[error.code as keyof typeof CODE_KEYS];
    const title = key ? t(key) : t('error.unknown');
    // Field by field, the form says which value; the API's own sentence would repeat the title in English.
    if ((error.code === 'validation_error' || error.code === 'suppressed') && error.hasFields) return title;
    if (error.status >= 400 && error.status < 500 && error.message && error.code !== 'unauthorized') {
      return `${title} ${localizeMessage(error.message)}`;
    }
    return title;
  }
  if (error instanceof Error) return error.message;
  return t('error.unknown');
}

/**
 * Field messages come from the shared schemas in English; the common ones are
 * shown in the user's language, anything else as the API wrote it.
 */
export function localizeMessage(message: string): string {
  const m = message.trim();
  if (/valid email/i.test(m)) return t('field.invalidEmail');
  if (/valid phone/i.test(m)) return t('field.invalidPhone');
  // A create, edit or import row refused for a value on the suppression list (API.md "Erasure and suppression").
  if (/^(is )?suppressed\b/i.test(m)) return t('field.suppressed');
  if (/^is required$/i.test(m) || /must not be empty/i.test(m)) return t('field.required');
  if (/one of firstName, phone or email/i.test(m)) return t('field.nameOrContact');
  if (/already (taken|exists|in use)/i.test(m)) return t('catalog.nameTaken');
  if (/alpha-2/i.test(m)) return t('field.invalidCountry');
  if (/language tag/i.test(m)) return t('field.invalidLanguage');
  const max = /at most (\d+) characters/i.exec(m);
  if (max) return t('field.tooLong', { max: max[1]! });
  // Schema messages are fragments ("must be …"); shown alone they read better capitalized.
  return m.charAt(0).toUpperCase() + m.slice(1);
}

export function fieldMessage(error: ApiError | null | undefined, ...paths: string[]): string | undefined {
  if (!error) return undefined;
  for (const path of paths) {
    const message = error.fields[path];
    if (message) return localizeMessage(message);
  }
  return undefined;
}
