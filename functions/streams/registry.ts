import type { StreamProcessor } from './processors.js';
import { catalogRefsProcessor } from '../catalog/catalog-refs-processor.js';
import { analyticsProcessor } from '../analytics/activity-processor.js';
import { mergeSuggestionsProcessor } from '../merge/suggestions-processor.js';
import { mergeForwarder } from '../merge/forwarder.js';
import { engagementProcessor } from '../engagement/stream-processor.js';

/** Every consumer of the table stream, in no particular order (they run concurrently per batch). */
export const STREAM_PROCESSORS: readonly StreamProcessor[] = [
  catalogRefsProcessor,
  mergeSuggestionsProcessor,
  mergeForwarder,
  analyticsProcessor,
  engagementProcessor,
];
