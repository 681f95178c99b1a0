import type { MessageKey } from '../../../../shared/i18n/index.js';

/** The three daily series and their colours, shared by the daily chart, the donut and the heatmap. */
export const SERIES = [
  { key: 'broadcasts', label: 'analytics.series.broadcasts', color: '#3454d1' },
  { key: 'sales', label: 'analytics.series.sales', color: '#1e8449' },
  { key: 'support', label: 'analytics.series.support', color: '#d68910' },
] as const satisfies readonly { key: string; label: MessageKey; color: string }[];

/** Sales and support, the two kinds of service. */
export const SERVICES = [SERIES[1], SERIES[2]] as const;
