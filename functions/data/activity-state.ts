import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { analyticsStatePacking } from '../lib/config.js';
import { batchGetItems, ddb, tableName } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';
import { analyticsLaneKey, analyticsStateKey, contactActivityKey, contactIdFromPk, contactIdFromStateSk, contactKey, mergedAliasKey } from './keys.js';
import type { Item } from './query.js';

/**
 * The analytics stream's own items (functions/analytics/DESIGN.md):
 *   ANLANE#<n>    S#<contactId>  a contact's activity state: what it adds to
 *                                the panel's aggregates, the sequence number
 *                                of the last record folded, a version. It
 *                                lives in its lane's partition, so its stream
 *                                records (old and new image) are hop 2's
 *                                input, in order per lane: one plain
 *                                conditional Put per contact and batch, no
 *                                transaction and no separate delta item.
 *   ANLANE#<n>    #LANE          the deltas item of earlier versions (records
 *                                still in the stream at a deploy are applied)
 *   CONTACT#<id>  S#ANALYTICS    where a state lived before: read when the
 *                                lane has none, copied over once (quiet) and
 *                                left in place, so a reconciliation under way
 *                                still meets the contact where it began to.
 *
 * `createdAt` (epoch ms) is when the state came to be in its lane: a
 * reconciliation meets a contact through its lane state when that is older
 * than the run's scan, otherwise through its own partition
 * (data/contact-collection.ts), so each contact is met once.
 */
export { contactActivityKey, analyticsStateKey };

export const ACTIVITY_STATE_TYPE = 'contactActivity';
export const LANE_TYPE = 'analyticsLane';
/**
 * A state write that must not reach the aggregates (hop 2 skips its
 * record): a state carried over from its old place, or a repair by the
 * reconciliation, which repairs the aggregates itself. Such a write sets
 * the flag and creates the state or moves its version; a later write that
 * keeps the version (a raw edit) is no longer quiet (isQuietChange).
 */
export const QUIET_ATTRIBUTE = 'quiet';

/** A state record hop 2 leaves alone: a quiet write, which creates the state or moves its version. */
export function isQuietChange(before: Record<string, unknown> | undefined, after: Record<string, unknown>): boolean {
  return after[QUIET_ATTRIBUTE] === true && (before === undefined || before.version !== after.version);
}

/** When a state came to be in its lane (epoch ms); states from before the attribute count as always there. */
export const stateCreatedAt = (item: Record<string, unknown> | undefined): number => (typeof item?.createdAt === 'number' ? item.createdAt : 0);

const PROFILE_SK = contactKey('').sk;
const ALIAS_SK = mergedAliasKey('').sk;
const LANE_PREFIX = analyticsLaneKey(0).pk.replace(/\d+$/, '');

/** The contact's profile item's sort key. */
export const isProfileSk = (sk: string): boolean => sk === PROFILE_SK;
/** A merged duplicate's alias item's sort key. */
export const isMergedAliasSk = (sk: string): boolean => sk === ALIAS_SK;
/** A lane partition's key (activity states and the deltas items of earlier versions). */
export const isLanePk = (pk: string): boolean => pk.startsWith(LANE_PREFIX);

/**
 * Stored activity states of the contacts that have one (strongly
 * consistent), with the contact id each belongs to. A contact whose lane
 * holds none is looked up where states lived before (`legacy`): the caller
 * carries it over with carryOver before writing it.
 */
export async function activityStates(contactIds: readonly string[]): Promise<{ contactId: string; item: Item; legacy?: true }[]> {
  const found = (await batchGetItems(contactIds.map(analyticsStateKey), { consistent: true })).map((item) => ({ contactId: contactIdFromStateSk(String(item.sk)), item }));
  const have = new Set(found.map((f) => f.contactId));
  const missing = contactIds.filter((id) => !have.has(id));
  if (missing.length === 0) return found;
  const legacy = await batchGetItems(missing.map(contactActivityKey), { consistent: true });
  return [...found, ...legacy.map((item) => ({ contactId: contactIdFromPk(String(item.pk)), item, legacy: true as const }))];
}

/**
 * The item of a contact's state in its lane, its count maps stored
 * compactly (packCounts), or, with the tenant setting analyticsStatePacking
 * off (lib/config.ts), as plain maps: the form code from before packing
 * reads. `state` may hold the maps plainly (an activity), packed (an item
 * read), or both (a plain map wins over its packed section).
 */
export function activityStateItem(contactId: string, state: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, [QUIET_ATTRIBUTE]: _quiet, [COUNTS_ATTRIBUTE]: _counts, ...rest } = state;
  for (const field of COUNT_FIELDS) delete rest[field];
  const counts = countsOf(state, false);
  return { ...analyticsStateKey(contactId), type: ACTIVITY_STATE_TYPE, contactId, ...rest, ...(analyticsStatePacking() ? packCounts(counts) : counts) };
}

/**
 * The Put of a contact's state, conditioned on the version it replaces (or
 * on there being none). `quiet`: hop 2 leaves the aggregates alone.
 */
export function activityStatePut(contactId: string, state: Record<string, unknown>, previousVersion: number | undefined, options: { quiet?: boolean } = {}) {
  return {
    TableName: tableName(),
    Item: { ...activityStateItem(contactId, state), ...(options.quiet ? { [QUIET_ATTRIBUTE]: true } : {}) },
    ...(previousVersion !== undefined
      ? { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': previousVersion } }
      : { ConditionExpression: 'attribute_not_exists(pk)' }),
  };
}

/**
 * Copies a state read from its old place into its lane, unchanged and
 * quiet (the aggregates already hold it), created `createdAt`. A lane that
 * got a state meanwhile (another writer carried it) wins. Once per contact
 * after the deploy that moved states into lanes. The old item stays: it is
 * read only when the lane has none, and it keeps a reconciliation under way
 * meeting the contact through its partition.
 */
export async function carryOver(contactId: string, legacyItem: Item, createdAt: number): Promise<void> {
  try {
    await ddb().send(new PutCommand(activityStatePut(contactId, { ...legacyItem, createdAt }, undefined, { quiet: true })));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** The deltas item of earlier versions (still applied by hop 2 when its records come; no longer written). */
export const isLegacyLaneItem = (item: Record<string, unknown> | undefined): item is { deltas: string } => item?.type === LANE_TYPE && typeof item.deltas === 'string';

// ---------------------------------------------------------------- stored form of the count maps

type Counts = Record<string, number>;

/** A state's count maps (ContactActivity's, with `days` by metric name). */
export interface StateCounts {
  days: Record<string, Counts>;
  broadcasts: Counts;
  salesOpened: Counts;
  months: Counts;
  salesHours: Counts;
  base: Counts;
}

/**
 * The attribute that holds a state's count maps (functions/analytics/DESIGN.md,
 * "Activity state"): one binary, deflateRaw of a text of sections joined by
 * `;`, each `<tag>=<entries>`. A tag is a day metric's name (lowercase) or
 * an uppercase letter of MAP_SECTIONS. Entries are joined by `,`, keys
 * ascending as integers (KeyCodec), each `<key minus the previous one (the
 * first: the key itself)>[*<count>]` in decimal, the count only when it is
 * not 1: `ms=20423,2*3,1;B=1764601200,86412;J=20423`. Decimal deflates
 * smaller than base 36 here and is quicker to write. Items from before it
 * hold the maps plainly, as do items written with analyticsStatePacking off
 * and maps whose keys this form cannot give back exactly; a plain map wins
 * over its section.
 */
export const COUNTS_ATTRIBUTE = 'counts';

/** A key kind: its integer, and back. A key is packed only when toKey(toInt(key)) gives it back. */
interface KeyCodec {
  toInt(key: string): number;
  toKey(n: number): string;
}
/** Day numbers, epoch seconds. */
const INTEGER: KeyCodec = { toInt: Number, toKey: String };
/** `YYYY-MM`, as months since year 0. */
const MONTH: KeyCodec = {
  toInt: (key) => Number(key.slice(0, 4)) * 12 + Number(key.slice(5)) - 1,
  toKey: (n) => `${Math.floor(n / 12)}-${String((n % 12 + 12) % 12 + 1).padStart(2, '0')}`,
};
/** `<day number>:<hour>`, as hours. */
const DAY_HOUR: KeyCodec = {
  toInt: (key) => {
    const colon = key.indexOf(':');
    return colon < 0 ? NaN : Number(key.slice(0, colon)) * 24 + Number(key.slice(colon + 1));
  },
  toKey: (n) => `${Math.floor(n / 24)}:${(n % 24 + 24) % 24}`,
};
const MAP_SECTIONS = [
  ['broadcasts', 'B', INTEGER],
  ['salesOpened', 'O', INTEGER],
  ['months', 'M', MONTH],
  ['salesHours', 'H', DAY_HOUR],
  ['base', 'J', INTEGER],
] as const;
const METRIC_TAG = /^[a-z]+$/;
/** The attributes that hold the count maps plainly. */
const COUNT_FIELDS = ['days', ...MAP_SECTIONS.map(([field]) => field)];

/** One map's entries, or undefined when a key or count would not come back exactly. */
function packSection(counts: Counts, codec: KeyCodec): string | undefined {
  const entries: [number, number][] = [];
  for (const [key, count] of Object.entries(counts)) {
    const n = codec.toInt(key);
    if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 50 || codec.toKey(n) !== key) return undefined;
    if (!Number.isSafeInteger(count) || Object.is(count, -0)) return undefined;
    entries.push([n, count]);
  }
  entries.sort((x, y) => x[0] - y[0]);
  let text = '';
  let previous = 0;
  for (const [n, count] of entries) {
    text += `${text === '' ? '' : ','}${n - previous}${count === 1 ? '' : `*${count}`}`;
    previous = n;
  }
  return text;
}

function unpackSection(text: string, codec: KeyCodec, into: Counts): Counts {
  let previous = 0;
  for (const entry of text.split(',')) {
    const star = entry.indexOf('*');
    const n = previous + parseInt(star < 0 ? entry : entry.slice(0, star), 10);
    const count = star < 0 ? 1 : parseInt(entry.slice(star + 1), 10);
    if (!Number.isSafeInteger(n) || !Number.isSafeInteger(count)) throw new Error(`activity state: malformed ${COUNTS_ATTRIBUTE} entry '${entry}'`);
    into[codec.toKey(n)] = count;
    previous = n;
  }
  return into;
}

const nonEmpty = (counts: Counts | undefined): counts is Counts => counts !== undefined && Object.keys(counts).length > 0;

/** The stored attributes of a state's count maps: the packed attribute, and plainly any map it cannot hold exactly. */
function packCounts(counts: StateCounts): Record<string, unknown> {
  const sections: string[] = [];
  const plain: Record<string, unknown> = {};
  const daySections: string[] = [];
  for (const [metric, days] of Object.entries(counts.days)) {
    if (!nonEmpty(days)) continue;
    const text = METRIC_TAG.test(metric) ? packSection(days, INTEGER) : undefined;
    if (text === undefined) {
      plain.days = counts.days;
      break;
    }
    daySections.push(`${metric}=${text}`);
  }
  if (plain.days === undefined) sections.push(...daySections);
  for (const [field, tag, codec] of MAP_SECTIONS) {
    if (!nonEmpty(counts[field])) continue;
    const text = packSection(counts[field], codec);
    if (text === undefined) plain[field] = counts[field];
    else sections.push(`${tag}=${text}`);
  }
  return sections.length === 0 ? plain : { ...plain, [COUNTS_ATTRIBUTE]: deflateRawSync(sections.join(';')) };
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !(value instanceof Uint8Array);
/** A binary attribute as read: bytes from the SDK, base64 text in a Lambda event's stream record. */
const bytesOf = (value: unknown): Uint8Array | undefined => (value instanceof Uint8Array ? value : typeof value === 'string' ? Buffer.from(value, 'base64') : undefined);

/**
 * The count maps a stored state holds (missing maps read as empty), in
 * either form: packed (COUNTS_ATTRIBUTE) or plain maps (items written before
 * it, states carried over from CONTACT#<id> / S#ANALYTICS, old images of
 * records in flight at the deploy). The one reader of the stored form:
 * contact-activity.ts activityFromItem decodes items through it.
 */
export const storedCounts = (item: Record<string, unknown>): StateCounts => countsOf(item, true);

/** `copy`: plain maps are copied, so the result shares nothing with the item. */
function countsOf(item: Record<string, unknown>, copy: boolean): StateCounts {
  const out: StateCounts = { days: {}, broadcasts: {}, salesOpened: {}, months: {}, salesHours: {}, base: {} };
  const stored = item[COUNTS_ATTRIBUTE];
  const packed = bytesOf(stored);
  // Anything else (a JSON copy of bytes, say) would read as "no counts" and take the contact's whole share away.
  if (stored !== undefined && stored !== null && !packed) throw new Error(`activity state: ${COUNTS_ATTRIBUTE} is neither bytes nor base64 text`);
  if (packed && packed.length > 0) {
    for (const section of inflateRawSync(packed).toString('utf8').split(';')) {
      const eq = section.indexOf('=');
      const [tag, text] = [section.slice(0, eq), section.slice(eq + 1)];
      const map = MAP_SECTIONS.find(([, t]) => t === tag);
      if (map) unpackSection(text, map[2], out[map[0]]);
      else if (METRIC_TAG.test(tag)) out.days[tag] = unpackSection(text, INTEGER, {});
      else throw new Error(`activity state: unknown ${COUNTS_ATTRIBUTE} section '${tag}'`);
    }
  }
  const plain = (value: Record<string, unknown>) => (copy ? { ...(value as Counts) } : (value as Counts));
  if (isMap(item.days)) {
    out.days = {};
    for (const [metric, counts] of Object.entries(item.days)) if (isMap(counts)) out.days[metric] = plain(counts);
  }
  for (const [field] of MAP_SECTIONS) if (isMap(item[field])) out[field] = plain(item[field]);
  return out;
}
