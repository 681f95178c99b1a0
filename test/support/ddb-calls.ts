/** A DynamoDB call as a middleware sees it: the command's name and its input (document or attribute-value form). */
export interface DdbCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

const plain = (value: unknown): string => {
  if (value && typeof value === 'object' && 'S' in value) return String((value as { S: unknown }).S);
  return String(value);
};
const keyOf = (item: Record<string, unknown> | undefined): string | undefined => (item ? `${plain(item.pk)}|${plain(item.sk)}` : undefined);

/** Document-client and base-client names of one operation compare equal: `TransactWriteCommand` and `TransactWriteItemsCommand` are `TransactWrite`. */
export const operationOf = (command: string): string => command.replace(/Command$/, '').replace(/(Item|Items)$/, '');

/** The item keys (`pk|sk`) a call writes, one entry per item write (a transaction's ConditionCheck writes nothing). */
export function writtenKeys(call: DdbCall): string[] {
  const input = call.input as Record<string, any>;
  const operation = operationOf(call.command);
  const keys: (string | undefined)[] = [];
  if (operation === 'Put') keys.push(keyOf(input.Item));
  else if (operation === 'Update' || operation === 'Delete') keys.push(keyOf(input.Key));
  else if (operation === 'BatchWrite') {
    for (const requests of Object.values(input.RequestItems ?? {}) as any[][]) {
      for (const r of requests) keys.push(keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key));
    }
  } else if (operation === 'TransactWrite') {
    for (const t of input.TransactItems ?? []) keys.push(keyOf(t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key));
  }
  return keys.filter((k): k is string => k !== undefined);
}

/** The keys a call increments (`ADD` in an update, alone or in a transaction): counter writes. */
export function counterKeys(call: DdbCall): string[] {
  const input = call.input as Record<string, any>;
  const adds = (update: { UpdateExpression?: string } | undefined) => typeof update?.UpdateExpression === 'string' && /\bADD\b/.test(update.UpdateExpression);
  const operation = operationOf(call.command);
  if (operation === 'Update') return adds(input) ? [keyOf(input.Key)!] : [];
  if (operation === 'TransactWrite') return (input.TransactItems ?? []).filter((t: any) => adds(t.Update)).map((t: any) => keyOf(t.Update.Key)!);
  return [];
}

/** The keys a call reads or conditions on, as well as those it writes: what a fault rule matches on. */
export function touchedKeys(call: DdbCall): string[] {
  const input = call.input as Record<string, any>;
  const extra = [keyOf(input.Key), ...(input.TransactItems ?? []).map((t: any) => keyOf(t.ConditionCheck?.Key))];
  return [...writtenKeys(call), ...extra.filter((k): k is string => k !== undefined)];
}
