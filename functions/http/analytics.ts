import { localDay, resolvePeriod } from '../../shared/analytics.js';
import { readContactBehaviorPanel } from '../analytics/panel.js';
import { config } from '../lib/config.js';
import { ValidationError } from '../lib/errors.js';
import { httpRouter, reply } from '../lib/http.js';
import { analyticsRoutes } from './tables/analytics.js';

export const handler = httpRouter(analyticsRoutes, {
  'GET /v1/analytics/contacts': async (req) => {
    const { timezone } = config();
    const resolved = resolvePeriod({ from: req.query.from, to: req.query.to }, localDay(Date.now(), timezone));
    if ('fields' in resolved) throw new ValidationError(resolved.fields, 'The period is not valid.');
    const { panel, stats } = await readContactBehaviorPanel(resolved.period, timezone);
    // Server-Timing lets the SPA's devtools and the benchmark see the read's cost without a side channel.
    return reply(200, panel, { 'server-timing': `ddb;desc="${stats.requests} DynamoDB requests";dur=${stats.ms.toFixed(1)}` });
  },
});
