import type { LocalStack } from './stack.js';

/**
 * Seeds 90 days of message and conversation events for the demo contacts
 * through the real ingestion path (POST /v1/events), so every number on
 * screen is computed. Filled in with the engagement pipeline.
 */
export async function seedEngagement(
  _stack: LocalStack,
  _contacts: { id: string; phone?: string; email?: string }[],
  _log: (line: string) => void,
): Promise<void> {}
