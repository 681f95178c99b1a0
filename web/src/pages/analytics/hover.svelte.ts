/** One line of a chart tooltip: a label, its exact figure and the series colour. */
export interface TipLine {
  label: string;
  value: string;
  color?: string;
}

export interface Tip {
  x: number;
  y: number;
  title: string;
  lines: TipLine[];
}

/**
 * The tooltip of one chart: where it points (relative to the chart's box)
 * and what it says. Pointer events place it at the pointer; keyboard focus
 * places it above the focused mark, so the figures are reachable without a
 * mouse too.
 */
export class Hover {
  tip = $state<Tip | null>(null);

  show(event: Event, host: HTMLElement | undefined, title: string, lines: TipLine[]): void {
    if (!host) return;
    // Content shown on hover or focus can be dismissed without moving (WCAG 1.4.13): Escape hides it.
    window.addEventListener('keydown', this.#onEscape);
    const box = host.getBoundingClientRect();
    const pointer = event as PointerEvent;
    if (typeof pointer.clientX === 'number' && (pointer.clientX !== 0 || pointer.clientY !== 0)) {
      this.tip = { x: pointer.clientX - box.left, y: pointer.clientY - box.top, title, lines };
      return;
    }
    const mark = (event.target as Element).getBoundingClientRect();
    this.tip = { x: mark.left + mark.width / 2 - box.left, y: mark.top - box.top, title, lines };
  }

  /** The handlers of a chart mark: `show`'s tip on pointer and focus, hidden on leave and blur. */
  mark(show: (event: Event) => void) {
    return { onpointermove: show, onpointerleave: this.hide, onfocus: show, onblur: this.hide };
  }

  hide = (): void => {
    this.tip = null;
    window.removeEventListener('keydown', this.#onEscape);
  };

  #onEscape = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') this.hide();
  };
}
