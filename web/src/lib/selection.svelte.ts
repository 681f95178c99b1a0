/** Rows ticked in a table, or everything the listing holds (beyond the page shown) at once. */
import { SvelteSet } from 'svelte/reactivity';

export class Selection {
  readonly ids = new SvelteSet<string>();
  /** Everything the listing holds (all matching the filter), not only the ids ticked. */
  all = $state(false);

  /** How many rows are ticked; null when everything is selected. */
  get count(): number | null {
    return this.all ? null : this.ids.size;
  }

  get any(): boolean {
    return this.all || this.ids.size > 0;
  }

  toggle = (id: string): void => {
    this.all = false;
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
  };

  togglePage = (rows: ReadonlyArray<{ id: string }>, select: boolean): void => {
    this.all = false;
    for (const row of rows) {
      if (select) this.ids.add(row.id);
      else this.ids.delete(row.id);
    }
  };

  /** Every row of the page is ticked (then "select all" can be offered). */
  hasPage(rows: ReadonlyArray<{ id: string }>): boolean {
    return rows.length > 0 && rows.every((row) => this.ids.has(row.id));
  }

  clear = (): void => {
    this.ids.clear();
    this.all = false;
  };
}
