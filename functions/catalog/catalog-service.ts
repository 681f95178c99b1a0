import { ulid } from 'ulid';
import { fold } from '../../shared/text.js';
import { listContacts } from '../contacts/contact-search.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import type { Principal } from '../lib/http.js';
import { startInternalJob } from '../jobs/job-service.js';
import {
  allOfKind,
  catalogPage,
  createTag,
  deleteCatalogEntity,
  deleteCustomFieldItem,
  deleteTagItem,
  getCatalogEntity,
  getList,
  getTag,
  putCatalogEntity,
  putCustomField,
  renameTagItem,
  updateCatalogEntity,
  type CatalogItem,
  type CatalogKind,
} from '../data/catalog-entity.js';
import type { FanOutParams } from './catalog-jobs.js';
import type { BodyOutput } from '../../shared/schemas/fields.js';
import type { agentBody, customFieldBody, customFieldPatchBody, nameBody } from '../../shared/schemas/catalog.js';
import { customFieldKeyFor, keyFromName } from '../../shared/custom-field-key.js';
import type { CustomFieldDefinition, CustomFieldType } from './custom-fields.js';

/**
 * Lists, tags, companies, departments, custom field definitions and the
 * agents directory. A rename or delete changes the entity at once and
 * copies the change to its members in a background job, which runs inline
 * for up to INLINE_BUDGET_MS first: small catalogs are consistent when the
 * request answers, big ones a little later, and none depends on the
 * request's time limit.
 */
export const INLINE_BUDGET_MS = 8_000;

/** Bodies reach the services parsed by their route's schema (shared/schemas/catalog.ts): names are trimmed and within bounds, fields known. */
type NameInput = BodyOutput<ReturnType<typeof nameBody>>;
type CustomFieldInput = BodyOutput<typeof customFieldBody>;
type CustomFieldPatch = BodyOutput<typeof customFieldPatchBody>;
type AgentInput = BodyOutput<typeof agentBody>;

/**
 * Names of lists, companies and departments are unique, case- and
 * accent-insensitively, checked against the (small) catalog. Tags have a
 * guard item instead, because contacts create tags on the fly, concurrently.
 */
async function assertNameFree(kind: CatalogKind, name: string, exceptId?: string): Promise<void> {
  const taken = (await allOfKind(kind)).some((item) => item.id !== exceptId && fold(String(item.name)) === fold(name));
  if (taken) throw new ConflictError(`A ${kind} with this name exists.`, { name: 'is already taken' });
}

export const listView = (item: CatalogItem) => ({ id: item.id, name: item.name, memberCount: Number(item.memberCount ?? 0), createdAt: item.createdAt ?? null });
export const tagView = (item: CatalogItem) => ({ id: item.id, name: item.name, contactCount: Number(item.contactCount ?? 0), createdAt: item.createdAt ?? null });
export const namedView = (item: CatalogItem) => ({ id: item.id, name: item.name, createdAt: item.createdAt ?? null });
/** `kind` is the contract's name; `type` repeats it for clients that read the directory entry like an assignee. */
export const agentView = (item: CatalogItem) => ({ id: item.id, name: item.name, kind: (item.kind as string) ?? 'agent', type: (item.kind as string) ?? 'agent', createdAt: item.createdAt ?? null });
export const customFieldView = (item: CatalogItem) => ({
  id: item.id,
  name: item.name,
  key: item.key as string,
  type: item.fieldType as CustomFieldType,
  ...(Array.isArray(item.choices) ? { choices: item.choices as string[] } : {}),
  createdAt: item.createdAt ?? null,
});

const VIEWS: Record<CatalogKind, (item: CatalogItem) => unknown> = {
  list: listView,
  tag: tagView,
  company: namedView,
  department: namedView,
  customField: customFieldView,
  agent: agentView,
};

export async function listPage(kind: CatalogKind, query: { limit: number; cursor?: string; q?: string }) {
  if (query.q !== undefined && query.q.length > 100) throw new ValidationError({ q: 'must be at most 100 characters' });
  const page = await catalogPage(kind, query);
  return { items: page.items.map(VIEWS[kind]), cursor: page.cursor };
}

export async function getOne(kind: CatalogKind, id: string) {
  const item = await getCatalogEntity(kind, id);
  if (!item) throw new NotFoundError(kind === 'customField' ? 'custom field' : kind);
  return VIEWS[kind](item);
}

function fanOut(jobType: string, params: FanOutParams, principal: Principal, expected?: number) {
  return startInternalJob(jobType, { ...params, ...(expected !== undefined ? { expected } : {}) }, {
    createdBy: principal.sub,
    total: expected ?? null,
    inlineBudgetMs: INLINE_BUDGET_MS,
  });
}

/* Lists */

export async function createList({ name }: NameInput) {
  await assertNameFree('list', name);
  const list = { id: ulid(), name, memberCount: 0, createdAt: new Date().toISOString() };
  await putCatalogEntity('list', list);
  return listView(list);
}

export async function renameList(id: string, { name }: NameInput, principal: Principal) {
  await assertNameFree('list', name, id);
  const updated = await updateCatalogEntity('list', id, { name });
  if (!updated) throw new NotFoundError('list');
  await fanOut('rename-list', { kind: 'list', id, name }, principal, Number(updated.memberCount ?? 0));
  return listView((await getCatalogEntity('list', id)) ?? updated);
}

/** Deletes the list; its members stay in the base, their memberships go in the background. */
export async function deleteList(id: string, principal: Principal) {
  const list = await getList(id);
  if (!list || !(await deleteCatalogEntity('list', id))) throw new NotFoundError('list');
  await fanOut('purge-list', { kind: 'list', id }, principal, list.memberCount);
}

export async function listMembersPage(id: string, query: { limit: number; cursor?: string }) {
  if (!(await getList(id))) throw new NotFoundError('list');
  return listContacts({ list: id, limit: query.limit, cursor: query.cursor });
}

/* Tags */

export async function createTagFromBody({ name }: NameInput) {
  const tag = await createTag(name);
  if (!tag) throw new ConflictError('A tag with this name exists.', { name: 'is already taken' });
  return tagView(tag as unknown as CatalogItem);
}

/** Renames a tag; the name guard moves with it (functions/data/catalog-entity.ts). */
export async function renameTag(id: string, { name }: NameInput, principal: Principal) {
  const tag = await getTag(id);
  if (!tag) throw new NotFoundError('tag');
  if (tag.name !== name) {
    const outcome = await renameTagItem(id, tag.name, name);
    if (outcome === 'nameTaken') throw new ConflictError('A tag with this name exists.', { name: 'is already taken' });
    if (outcome === 'changed') throw new ConflictError('The tag changed while renaming; try again.');
    await fanOut('rename-tag', { kind: 'tag', id, name }, principal, tag.contactCount);
  }
  return tagView((await getCatalogEntity('tag', id)) as CatalogItem);
}

/** Deletes a tag and its name guard at once; the tag leaves every contact in the background. */
export async function deleteTag(id: string, principal: Principal) {
  const tag = await getTag(id);
  if (!tag || !(await deleteTagItem(id, tag.name))) throw new NotFoundError('tag');
  await fanOut('purge-tag', { kind: 'tag', id }, principal, tag.contactCount);
}

/* Companies and departments */

type Named = 'company' | 'department';

export async function createNamed(kind: Named, { name }: NameInput) {
  await assertNameFree(kind, name);
  const entity = { id: ulid(), name, createdAt: new Date().toISOString() };
  await putCatalogEntity(kind, entity);
  return namedView(entity);
}

/** Renames it, and the `{id, name}` copy on every contact that carries it. */
export async function renameNamed(kind: Named, id: string, { name }: NameInput, principal: Principal) {
  await assertNameFree(kind, name, id);
  const updated = await updateCatalogEntity(kind, id, { name });
  if (!updated) throw new NotFoundError(kind);
  await fanOut(`rename-${kind}`, { kind, id, name }, principal);
  return namedView(updated);
}

/** Deletes it; contacts that carried it are left without one. */
export async function deleteNamed(kind: Named, id: string, principal: Principal) {
  if (!(await deleteCatalogEntity(kind, id))) throw new NotFoundError(kind);
  await fanOut(`remove-${kind}`, { kind, id }, principal);
}

/* Custom field definitions */

function parseChoices(value: unknown, errors: Record<string, string>): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    errors.choices = 'must list 1 to 100 choices';
    return undefined;
  }
  const choices = value.map((choice) => (typeof choice === 'string' ? choice.trim() : ''));
  if (choices.some((choice) => choice === '' || choice.length > 100)) errors.choices = 'each choice is a text of 1 to 100 characters';
  else if (new Set(choices.map(fold)).size !== choices.length) errors.choices = 'choices must differ (ignoring case and accents)';
  return choices;
}

/** A key made from the name when none is given: `Plano contratado` -> `planoContratado`. */
export async function createCustomField(body: CustomFieldInput) {
  const name = body.name.trim();
  const key = body.key === undefined ? customFieldKeyFor(keyFromName(name)) : body.key.trim();
  const type = body.type;
  const choices = type === 'choice' ? body.choices?.map((choice) => choice.trim()) : undefined;
  const definition: CustomFieldDefinition = { id: ulid(), name, key, type, ...(choices ? { choices } : {}), createdAt: new Date().toISOString() };
  if (!(await putCustomField(definition))) throw new ConflictError('A custom field with this key exists.', { key: 'is already taken' });
  return customFieldView({ ...definition, fieldType: definition.type } as unknown as CatalogItem);
}

/** Renames a definition or changes its choices; its key and type are fixed (values on contacts depend on them). */
export async function updateCustomField(id: string, b: CustomFieldPatch) {
  const current = await getCatalogEntity('customField', id);
  if (!current) throw new NotFoundError('custom field');
  const errors: Record<string, string> = {};
  const changes: Record<string, unknown> = {};
  if (b.key !== undefined && b.key !== current.key) errors.key = 'cannot change; create another field';
  if (b.type !== undefined && b.type !== current.fieldType) errors.type = 'cannot change; create another field';
  if (b.name !== undefined) changes.name = b.name.trim();
  if (b.choices !== undefined) {
    if (current.fieldType !== 'choice') errors.choices = 'only a choice field has choices';
    else changes.choices = parseChoices(b.choices, errors);
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const updated = Object.keys(changes).length ? await updateCatalogEntity('customField', id, changes) : current;
  if (!updated) throw new NotFoundError('custom field');
  return customFieldView(updated);
}

/** Deletes a definition; values already on contacts stay (untyped). */
export async function deleteCustomField(id: string) {
  const current = await getCatalogEntity('customField', id);
  if (!current) throw new NotFoundError('custom field');
  await deleteCustomFieldItem(id, String(current.key));
}

/* Agents and groups */

/** `kind`, or `type` for clients that send the directory entry's shape (the schema checked they agree). */
export async function createAgent(body: AgentInput) {
  const agent = { id: ulid(), name: body.name.trim(), kind: (body.kind ?? body.type)!, createdAt: new Date().toISOString() };
  await putCatalogEntity('agent', agent);
  return agentView(agent);
}

export async function renameAgent(id: string, { name }: NameInput) {
  const updated = await updateCatalogEntity('agent', id, { name });
  if (!updated) throw new NotFoundError('agent');
  return agentView(updated);
}

/** Removes the entry; contacts assigned to it are unassigned in the background. */
export async function deleteAgent(id: string, principal: Principal) {
  const agent = await getCatalogEntity('agent', id);
  if (!agent || !(await deleteCatalogEntity('agent', id))) throw new NotFoundError('agent');
  await fanOut('unassign-agent', { kind: 'agent', id, agentKind: agent.kind === 'group' ? 'group' : 'agent' }, principal);
}
