import { verifyApiKey } from '../events/api-keys.js';
import { ingestEvents } from '../events/ingest.js';
import { UnauthorizedError } from '../lib/errors.js';
import { httpRouter, reply } from '../lib/http.js';
import { logger } from '../lib/logger.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';

/** Integrations push message and conversation events; the API key is checked here (the route has no JWT authorizer). */
export const handler = httpRouter({
  'POST /v1/events': async (req) => {
    const keyId = await verifyApiKey(req.headers['x-api-key']);
    if (!keyId) throw new UnauthorizedError('A valid x-api-key header is required.');
    logger.appendKeys({ apiKeyId: keyId });
    const result = await ingestEvents(req.body);
    emitMetrics({
      [METRIC.eventsAccepted]: result.accepted,
      [METRIC.eventsDuplicate]: result.duplicates,
      [METRIC.eventsRejected]: result.rejected.length,
    });
    return reply(202, result);
  },
});
