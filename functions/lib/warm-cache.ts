import { ddb, tableName } from './dynamo.js';

/**
 * What a warm function remembers of items it wrote itself, per DynamoDB
 * client and table, so the next batch need not read them again. Callers
 * only use it where every write is conditioned on what it assumes (a
 * version, a watermark): a stale entry then costs one failed condition and
 * a read, never a wrong write. Oldest entries go first past `max`.
 */
export class WarmCache<V> {
  private readonly byClient = new WeakMap<object, Map<string, V>>();

  constructor(private readonly max: number) {}

  private entries(): Map<string, V> {
    const client = ddb();
    let map = this.byClient.get(client);
    if (!map) this.byClient.set(client, (map = new Map()));
    return map;
  }

  private id(key: string): string {
    return `${tableName()}\u0000${key}`;
  }

  get(key: string): V | undefined {
    return this.entries().get(this.id(key));
  }

  set(key: string, value: V): void {
    const entries = this.entries();
    const id = this.id(key);
    entries.delete(id);
    if (entries.size >= this.max) entries.delete(entries.keys().next().value!);
    entries.set(id, value);
  }

  delete(key: string): void {
    this.entries().delete(this.id(key));
  }

  /** Forgets everything for the current client (tests that script the table's answers). */
  clear(): void {
    this.byClient.delete(ddb());
  }
}
