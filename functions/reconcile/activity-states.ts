import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { activityFromItem, applyHistoryChange, applyProfileChange, emptyActivity, hasFacts, type ContactActivity } from '../analytics/contact-activity.js';
import { activityStatePut, carryOver, stateCreatedAt } from '../data/activity-state.js';
import type { ContactCollection } from '../data/contact-collection.js';
import { TOMBSTONE_SECONDS } from '../data/keys.js';
import { ddb } from '../lib/dynamo.js';
import { isConditionFailure } from '../lib/errors.js';

/**
 * A contact's analytics activity state (`ANLANE#<n>` / `S#<contactId>`,
 * functions/analytics/contact-activity.ts), recomputed: its facts are the
 * fold of its current message and conversation items; it is in the base
 * exactly when its profile exists, and its place on the map is its
 * profile's. Its base history (the days it joined and left) cannot be
 * recomputed and is kept, except that a state whose membership disagrees
 * with the profile joins or leaves the base today, as the stream would have
 * done on the profile's record. A state with nothing left to count (out of
 * the base, not merged away nor in the recycle bin, no facts) is a tombstone
 * that expires.
 */
export interface StateRepair {
  contactId: string;
  /** The stored state (undefined: missing and created). */
  stored?: ContactActivity;
  /** Its version: the Put is conditioned on it. */
  version?: number;
  next: ContactActivity;
  away: boolean;
  /** In the recycle bin: a restore may bring it back, so the state never expires. */
  binned: boolean;
  /** `expiresAt` the rewritten state carries (a tombstone's), if any. */
  expiresAt?: number;
  /** Only the tombstone mark differs. */
  markOnly: boolean;
  /** The state's attributes to write (data/activity-state.ts adds its key and type). */
  attributes: Record<string, unknown>;
  /** The stored state still lives where states lived before lanes: carried over first. */
  legacy?: Record<string, unknown>;
}

export interface StatePlan {
  /** The state as it stands once repaired (or as stored when nothing differs); undefined when there is none. */
  final?: ContactActivity;
  repair?: StateRepair;
}

export function planStateRepair(collection: ContactCollection, timezone: string, now: Date): StatePlan {
  const { contactId, state } = collection;
  const stored = state ? activityFromItem(state) : undefined;
  const next = emptyActivity();
  for (const item of collection.history) applyHistoryChange(next, undefined, item, timezone);
  if (stored) Object.assign(next, { base: { ...stored.base }, inBase: stored.inBase, joined: stored.joined, ...(stored.geo ? { geo: stored.geo } : {}) });
  const away = collection.alias !== undefined;
  // A merged-away contact did join the base once: an undo brings it back on the day of the undo.
  if (!stored && away) next.joined = true;
  applyProfileChange(next, collection.profile, now.getTime(), timezone);
  const binned = collection.binned !== undefined;
  const tombstone = !next.inBase && !away && !binned && !hasFacts(next);
  if (!state) {
    if (tombstone) return {};
  } else if (isDeepStrictEqual(stored, next) && (state.away === true) === away && (state.binned === true) === binned && (state.expiresAt !== undefined) === tombstone) {
    return { final: stored };
  }
  const expiresAt = tombstone ? (typeof state?.expiresAt === 'number' ? state.expiresAt : Math.floor(now.getTime() / 1000) + TOMBSTONE_SECONDS) : undefined;
  const version = state ? Number(state.version ?? 0) : undefined;
  // A state new to its lane (created by this repair, or carried over from its old place) is created now.
  const createdAt = state && !collection.stateLegacy ? stateCreatedAt(state) : now.getTime();
  const attributes = {
    ...(typeof state?.seq === 'string' ? { seq: state.seq } : {}),
    version: (version ?? 0) + 1,
    createdAt,
    ...next,
    ...(away ? { away } : {}),
    ...(binned ? { binned } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  };
  const markOnly = stored !== undefined && isDeepStrictEqual(stored, next) && (state!.away === true) === away && (state!.binned === true) === binned;
  const legacy = collection.stateLegacy && state ? { legacy: state } : {};
  return { final: next, repair: { contactId, stored, version, next, away, binned, expiresAt, markOnly, attributes, ...legacy } };
}

/**
 * Writes the recomputed state, conditioned on the version read and with the
 * version bumped, so the stream's remembered state (activity-processor.ts)
 * fails its own condition and reads this one. The stream's sequence number
 * is kept: records it has not applied yet still apply. False when the
 * condition failed (the stream wrote in between).
 */
export async function applyStateRepair(repair: StateRepair): Promise<boolean> {
  try {
    if (repair.legacy) await carryOver(repair.contactId, repair.legacy, Number(repair.attributes.createdAt));
    // Quiet: the aggregates are repaired from the states by the aggregates phase, not through the stream.
    await ddb().send(new PutCommand(activityStatePut(repair.contactId, repair.attributes, repair.version, { quiet: true })));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
