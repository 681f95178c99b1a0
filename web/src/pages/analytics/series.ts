import type { MessageKey } from '../../../../shared/i18n/index.js';

/**
 * The three daily series, shared by the daily chart, the donut and the
 * heatmap. Each has a line style and a fill pattern besides its colour, so
 * telling them apart never rests on colour alone (WCAG 1.4.1).
 */
export const SERIES = [
  { key: 'broadcasts', label: 'analytics.series.broadcasts', color: '#3454d1', dash: '', hatch: false },
  { key: 'sales', label: 'analytics.series.sales', color: '#1e8449', dash: '8 4', hatch: false },
  { key: 'support', label: 'analytics.series.support', color: '#d68910', dash: '2 3', hatch: true },
] as const satisfies readonly { key: string; label: MessageKey; color: string; dash: string; hatch: boolean }[];

/** Sales and support, the two kinds of service. */
export const SERVICES = [SERIES[1], SERIES[2]] as const;
