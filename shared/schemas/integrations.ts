/** API keys: request and answer schemas. The events route's are in ./events.ts. */
import { lenientBody, name } from './core.js';

/** `{"name"}` */
export const apiKeyBody = lenientBody({ name: name(100) });
