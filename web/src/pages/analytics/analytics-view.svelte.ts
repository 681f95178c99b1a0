import {
  addDays,
  dayNumber,
  DEFAULT_PERIOD_DAYS,
  isDay,
  localDay,
  MAX_PERIOD_DAYS,
  PRESET_PERIOD_DAYS,
  type ContactBehaviorPanel,
} from '../../../../shared/analytics.js';
import type { MessageKey, MessageParams } from '../../../../shared/i18n/index.js';
import { api } from '../../lib/api';

export type PeriodChoice = (typeof PRESET_PERIOD_DAYS)[number] | 'custom';
export type FieldProblem = { key: MessageKey; params?: MessageParams };

/**
 * The panel's state: which period is chosen and what the API answered for
 * it. Only the latest request may land, so clicking through the presets
 * quickly never shows an older period's numbers under a newer label.
 */
export class AnalyticsView {
  choice = $state<PeriodChoice>(DEFAULT_PERIOD_DAYS);
  from = $state('');
  to = $state('');
  panel = $state.raw<ContactBehaviorPanel | null>(null);
  loading = $state(false);
  error = $state<unknown>(null);
  problems = $state<Partial<Record<'from' | 'to', FieldProblem>>>({});
  #request = 0;

  constructor(readonly timeZone: string) {}

  today(): string {
    return localDay(Date.now(), this.timeZone);
  }

  choose(days: (typeof PRESET_PERIOD_DAYS)[number]): Promise<void> {
    const today = this.today();
    this.choice = days;
    this.to = today;
    this.from = addDays(today, -(days - 1));
    this.problems = {};
    return this.load();
  }

  /** Opens the custom inputs on the period being shown. */
  customize(): void {
    this.choice = 'custom';
  }

  applyCustom(): Promise<void> | void {
    const problems: AnalyticsView['problems'] = {};
    if (!isDay(this.from)) problems.from = { key: 'analytics.period.required' };
    if (!isDay(this.to)) problems.to = { key: 'analytics.period.required' };
    if (!problems.from && !problems.to) {
      const days = dayNumber(this.to) - dayNumber(this.from) + 1;
      if (days < 1) problems.from = { key: 'analytics.period.reversed' };
      else if (days > MAX_PERIOD_DAYS) problems.to = { key: 'analytics.period.tooLong', params: { days: MAX_PERIOD_DAYS } };
    }
    this.problems = problems;
    if (Object.keys(problems).length === 0) return this.load();
  }

  async load(): Promise<void> {
    const request = ++this.#request;
    this.loading = true;
    this.error = null;
    try {
      const panel = (await api.analytics.contacts({ from: this.from, to: this.to })) as ContactBehaviorPanel;
      if (request === this.#request) this.panel = panel;
    } catch (error) {
      if (request === this.#request) this.error = error;
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }
}
