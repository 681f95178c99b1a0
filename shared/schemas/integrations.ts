/** API keys: request and answer schemas. The events route's are in ./events.ts. */
import * as z from 'zod/mini';
import { id, isoTime, lenientBody, name, page } from './core.js';

/** `{"name"}` */
export const apiKeyBody = lenientBody({ name: name(100) });

/* Answers */

export const apiKey = z.object({ id, name: z.string(), createdAt: z.optional(isoTime), createdBy: z.optional(z.string()) });
export const apiKeyCreated = z.object({ ...apiKey.shape, key: z.string().register(z.globalRegistry, { description: 'Shown once; stored only as a hash.' }) });
export const apiKeyPage = page(apiKey);
