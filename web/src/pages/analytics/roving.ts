/**
 * One Tab stop per chart: its marks (the elements with `data-mark`) are
 * reached with the arrow keys, Home and End, as in a toolbar or a grid
 * (the WAI-ARIA roving tabindex), instead of a Tab press for each of the
 * 168 cells of a heatmap. With `columns`, Up and Down move by a row.
 */
export function roving(node: Element, options: { columns?: number } = {}) {
  let columns = options.columns ?? 0;
  let current = 0;
  const marks = () => Array.from(node.querySelectorAll<HTMLElement | SVGElement>('[data-mark]'));

  function apply(): void {
    const all = marks();
    current = Math.max(0, Math.min(current, all.length - 1));
    all.forEach((mark, i) => mark.setAttribute('tabindex', i === current ? '0' : '-1'));
  }

  function target(key: string, at: number, last: number): number | null {
    switch (key) {
      case 'ArrowRight':
        return at + 1;
      case 'ArrowLeft':
        return at - 1;
      case 'ArrowDown':
        return at + (columns || 1);
      case 'ArrowUp':
        return at - (columns || 1);
      case 'Home':
        return 0;
      case 'End':
        return last;
      default:
        return null;
    }
  }

  function onKeydown(event: Event): void {
    const e = event as KeyboardEvent;
    const all = marks();
    const at = all.indexOf(e.target as HTMLElement);
    if (at < 0) return;
    const next = target(e.key, at, all.length - 1);
    if (next === null) return;
    e.preventDefault();
    if (next < 0 || next >= all.length) return;
    current = next;
    apply();
    all[next]!.focus();
  }

  function onFocusin(event: Event): void {
    const at = marks().indexOf(event.target as HTMLElement);
    if (at >= 0 && at !== current) {
      current = at;
      apply();
    }
  }

  // Marks come and go with the data (a new period): keep exactly one of them in the Tab order.
  const observer = new MutationObserver(apply);
  observer.observe(node, { childList: true, subtree: true });
  node.addEventListener('keydown', onKeydown);
  node.addEventListener('focusin', onFocusin);
  apply();

  return {
    update(next: { columns?: number } = {}) {
      columns = next.columns ?? 0;
      apply();
    },
    destroy() {
      observer.disconnect();
      node.removeEventListener('keydown', onKeydown);
      node.removeEventListener('focusin', onFocusin);
    },
  };
}
