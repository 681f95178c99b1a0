import { tick } from 'svelte';

/**
 * After a control removed itself (a tag's ×, a list's Remove), the focus
 * would fall back to the page's start; it goes to `fallback` instead, so a
 * keyboard user stays where the work is. Leaves it alone if something else
 * has the focus by then.
 */
export async function refocusIfLost(fallback: HTMLElement | null | undefined): Promise<void> {
  await tick();
  if (fallback?.isConnected && (!document.activeElement || document.activeElement === document.body)) fallback.focus();
}
