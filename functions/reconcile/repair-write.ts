import { TABLE_DEFINITION } from '../data/table-schema.js';
import { tryUpdate } from '../lib/dynamo-batch.js';

/** One repair of a counter item (engagement counters, panel aggregates): numbers ADDed, never set. */
export interface RepairWrite {
  key: { pk: string; sk: string };
  /** False: the item is missing and is created with `init`. */
  exists: boolean;
  /** The watermarks read (`wm`, written by the stream's counter store); undefined when the item has none. */
  wm?: unknown;
  /** expected - stored, per differing counter. */
  add: Record<string, number>;
  init?: Record<string, unknown>;
  /** Set the expiry attribute to this epoch second, or remove it. */
  expiry?: { set: number } | { remove: true };
}

/**
 * ADDs the differences conditioned on the item's watermarks being the ones
 * read, so a stream write in between fails the repair (the next run reads
 * again) instead of the difference being applied twice; or creates the
 * missing item. `wm` itself is never written, so the stream's remembered
 * watermarks stay valid. False when the condition failed.
 */
export async function writeRepair(repair: RepairWrite): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  const adds = Object.entries(repair.add).map(([field, amount], i) => {
    names[`#a${i}`] = field;
    values[`:a${i}`] = amount;
    return `#a${i} :a${i}`;
  });
  let condition: string;
  if (repair.exists) {
    names['#wm'] = 'wm';
    if (repair.wm === undefined) condition = 'attribute_exists(pk) AND attribute_not_exists(#wm)';
    else {
      values[':wm'] = repair.wm;
      condition = 'attribute_exists(pk) AND #wm = :wm';
    }
  } else {
    condition = 'attribute_not_exists(pk)';
    Object.entries(repair.init ?? {}).forEach(([attribute, value], i) => {
      names[`#i${i}`] = attribute;
      values[`:i${i}`] = value;
      set.push(`#i${i} = :i${i}`);
    });
  }
  let remove = '';
  if (repair.expiry) names['#x'] = TABLE_DEFINITION.ttlAttribute;
  if (repair.expiry && 'set' in repair.expiry) {
    values[':x'] = repair.expiry.set;
    set.push('#x = :x');
  } else if (repair.expiry) remove = ' REMOVE #x';
  return tryUpdate({
    Key: repair.key,
    UpdateExpression: `${set.length ? `SET ${set.join(', ')} ` : ''}${adds.length ? `ADD ${adds.join(', ')}` : ''}${remove}`.trim(),
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  });
}
