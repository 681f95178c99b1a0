/**
 * The single table's key schema: one source of truth for the CDK construct
 * (infra/constructs/data-table.ts), the local table setup
 * (infra/local/dynamo.ts) and the repositories.
 *
 * Access patterns served by each index are written beside it; the key
 * builders in ./keys.ts are the only code that composes key values.
 */
export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** What the index is for, kept next to the definition on purpose. */
  readonly serves: string;
}

export const INDEXES = {
  /** Every entity of a type, newest first (ULID sort keys): contacts, lists, tags, jobs, merges, dispatches... */
  byType: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', serves: 'list entities of a type, newest first' },
  /** Exact lookup by E.164 phone: search, import de-duplication, merge suggestions, event resolution. */
  byPhone: { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', serves: 'contact by normalized phone' },
  /** Exact lookup by lower-cased email. */
  byEmail: { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', serves: 'contact by lower-cased email' },
  /** Contacts by folded first name (prefix search, sort by name). */
  byFirstName: { name: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', serves: 'first-name prefix search and sort by name' },
  /** Contacts by folded last name (prefix search). */
  byLastName: { name: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk', serves: 'last-name prefix search' },
  /** Sparse: contacts with a value of a filter attribute (blocked, band, assignee), newest first. */
  byFilter: { name: 'gsi6', partitionKey: 'gsi6pk', sortKey: 'gsi6sk', serves: 'blocked contacts view' },
  byBand: { name: 'gsi7', partitionKey: 'gsi7pk', sortKey: 'gsi7sk', serves: 'contacts by engagement band' },
  byAssignee: { name: 'gsi8', partitionKey: 'gsi8pk', sortKey: 'gsi8sk', serves: 'contacts by assignee' },
  /** Membership items (list, tag), newest member first: list members, tag members, filter by list/tag. */
  byMember: { name: 'gsi9', partitionKey: 'gsi9pk', sortKey: 'gsi9sk', serves: 'members of a list or tag' },
} as const satisfies Record<string, IndexDefinition>;

export type IndexName = keyof typeof INDEXES;

export const TABLE_DEFINITION = {
  partitionKey: PARTITION_KEY,
  sortKey: SORT_KEY,
  indexes: Object.values(INDEXES) as IndexDefinition[],
  /** Stream view the engagement counters and job driver rely on. */
  streamViewType: 'NEW_AND_OLD_IMAGES' as const,
  /** Attribute holding an epoch-seconds expiry for short-lived items (idempotency markers, job chunks). */
  ttlAttribute: 'expiresAt',
};
