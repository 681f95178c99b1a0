import { verifyApiKey } from '../events/api-keys.js';
import { ingestEvents } from '../events/ingest.js';
import { httpRouter, reply } from '../lib/http.js';
import { eventRoutes } from './tables/events.js';
import { METRIC } from '../lib/metric-names.js';
import { emitMetrics } from '../lib/metrics.js';

/** Integrations push message and conversation events; the router checks the `x-api-key` (the route has no JWT authorizer) before the body. */
export const handler = httpRouter(eventRoutes,
  {
    'POST /v1/events': async (req) => {
      const result = await ingestEvents(req.body);
      emitMetrics({
        [METRIC.eventsAccepted]: result.accepted,
        [METRIC.eventsDuplicate]: result.duplicates,
        [METRIC.eventsRejected]: result.rejected.length,
      });
      return reply(202, result);
    },
  },
  { apiKey: verifyApiKey },
);
