import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { insertContact } from '../../functions/contacts/contact-service.js';
import { addToList, addTagById } from '../../functions/contacts/memberships.js';
import { createTag } from '../../functions/data/catalog-entity.js';
import { ddb, tableName } from '../../functions/lib/dynamo.js';
import { catalogKey, gsi, listKey } from '../../functions/data/keys.js';
import type { Channel, ContactFields, Origin } from '../../shared/contact-schema.js';
import type { LocalStack } from './stack.js';
import { seedEngagement } from './seed-engagement.js';

/** Small deterministic PRNG so the demo tenant is the same on every machine. */
export function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

const FIRST = ['Ana', 'Bruno', 'Camila', 'Diego', 'Eduarda', 'Felipe', 'Gabriela', 'Heitor', 'Isabela', 'João', 'Júlia', 'Lucas', 'Mariana', 'Matheus', 'Natália', 'Otávio', 'Paula', 'Rafael', 'Sofia', 'Thiago', 'Valentina', 'Vinícius', 'Yasmin', 'Letícia', 'André', 'Beatriz', 'Caio', 'Débora', 'Érica', 'Fábio', 'Lorena', 'Márcio', 'Renata', 'Sérgio', 'Tânia', 'Lucía', 'Martín', 'Sebastián', 'Valeria', 'Emily', 'James', 'Olivia'];
const LAST = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Araújo', 'Melo', 'Barbosa', 'Cardoso', 'Rocha', 'Dias', 'Nascimento', 'Andrade', 'Moreira', 'Nunes', 'Marques', 'Machado', 'Mendes', 'Freitas', 'Conceição', 'Gonçalves', 'Fernández', 'García', 'López', 'Smith', 'Johnson'];
const DDDS = ['11', '11', '11', '21', '21', '31', '41', '51', '61', '71', '81', '85', '91', '27', '48', '62', '19', '47', '92', '98', '84', '83', '65', '67', '79', '82', '86', '95', '96', '69', '63', '68', '16', '13', '24'];

export const DEMO_CONTACTS = Number(process.env.DEMO_CONTACTS ?? 2500);

async function hasContacts(): Promise<boolean> {
  const out = await ddb().send(
    new QueryCommand({ TableName: tableName(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :t', ExpressionAttributeValues: { ':t': 'CONTACT' }, Limit: 1 }),
  );
  return (out.Items ?? []).length > 0;
}

async function putCatalog(kind: 'list' | 'company' | 'department' | 'agent', name: string, extra: Record<string, unknown> = {}) {
  const id = ulid();
  const now = new Date().toISOString();
  const key = kind === 'list' ? listKey(id) : catalogKey(kind, id);
  const type = kind === 'list' ? 'LIST' : kind.toUpperCase();
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...key, type: kind, id, name, createdAt: now, ...(kind === 'list' ? { memberCount: 0 } : {}), ...extra, ...gsi.byType(type, id) },
    }),
  );
  return { id, name };
}

async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

/** Seeds the demo tenant on a first start with an empty table. Returns false when data was already there. */
export async function seedDemoIfEmpty(stack: LocalStack, log: (line: string) => void = () => undefined, count = DEMO_CONTACTS): Promise<boolean> {
  if (await hasContacts()) return false;
  const rnd = prng(20261121);
  log(`Seeding demo tenant: ${count} contacts...`);
  const companies = await Promise.all(['Acme Varejo', 'Banco Horizonte', 'Clínica Vida', 'Delta Logística', 'EducaMais'].map((n) => putCatalog('company', n)));
  const departments = await Promise.all(['Vendas', 'Suporte', 'Financeiro', 'Marketing'].map((n) => putCatalog('department', n)));
  const lists = await Promise.all(['Newsletter', 'Black Friday 2026', 'Clientes ativos', 'Leads do site'].map((n) => putCatalog('list', n)));
  const agents = await Promise.all([
    putCatalog('agent', 'Ana Admin', { kind: 'agent' }),
    putCatalog('agent', 'Otto Operador', { kind: 'agent' }),
    putCatalog('agent', 'Gil Agente', { kind: 'agent' }),
    putCatalog('agent', 'Time de Vendas', { kind: 'group' }),
    putCatalog('agent', 'Time de Suporte', { kind: 'group' }),
  ]);
  const tags: { id: string; name: string }[] = [];
  for (const name of ['VIP', 'Lead quente', 'Inadimplente', 'Recorrente', 'Novo']) tags.push((await createTag(name))!);

  const origins: Origin[] = [
    { type: 'manual_import', label: 'Manual import' },
    { type: 'api', label: 'API' },
    { type: 'csv', label: 'CSV Import - leads-outubro.csv' },
    { type: 'direct', label: 'Direct interaction - WhatsApp - +55 11 4000-1234' },
    { type: 'chatbot', label: 'Direct interaction with chatbot triage - WhatsApp - Triagem inicial' },
    { type: 'campaign', label: 'Campaign' },
    { type: 'app', label: 'App' },
  ];
  const channelChoices: Channel[] = ['sms', 'whatsapp', 'email', 'rcs'];
  const now = Date.now();
  const created: { id: string; phone?: string; email?: string }[] = [];
  const specs = Array.from({ length: count }, (_, i) => {
    const firstName = rnd.pick(FIRST);
    const lastName = rnd.pick(LAST);
    const foreign = rnd.chance(0.06);
    const phone = foreign
      ? rnd.pick([`+54 9 11 ${rnd.int(10000000, 99999999)}`, `+52 55 ${rnd.int(10000000, 99999999)}`, `+1 415 555 ${rnd.int(1000, 9999)}`, `+351 91 ${rnd.int(1000000, 9999999)}`])
      : `(${rnd.pick(DDDS)}) 9${rnd.int(6000, 9999)}-${String(rnd.int(0, 9999)).padStart(4, '0')}`;
    const email = rnd.chance(0.7) ? `${firstName}.${lastName}${i}@example.com`.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase() : undefined;
    const channels: ContactFields['channels'] = {};
    for (const ch of channelChoices) {
      if (ch === 'email' && !email) continue;
      if (rnd.chance(0.6)) channels[ch] = rnd.chance(0.92) ? 'subscribed' : 'unsubscribed';
    }
    return {
      fields: {
        firstName,
        lastName,
        phone: rnd.chance(0.95) ? phone : undefined,
        email,
        language: foreign ? rnd.pick(['es', 'en']) : 'pt-BR',
        companyId: rnd.chance(0.4) ? rnd.pick(companies).id : undefined,
        departmentId: rnd.chance(0.3) ? rnd.pick(departments).id : undefined,
        assignee: rnd.chance(0.3) ? { type: 'agent' as const, id: rnd.pick(agents.slice(0, 3)).id } : undefined,
        customFields: (rnd.chance(0.5) ? { plano: rnd.pick(['Básico', 'Pro', 'Empresa']) } : {}) as Record<string, string>,
        channels,
      } satisfies ContactFields,
      origin: rnd.pick(origins),
      createdAt: new Date(now - rnd.int(0, 200) * 86_400_000 - rnd.int(0, 86_399_000)).toISOString(),
      lists: lists.filter(() => rnd.chance(0.2)),
      tags: tags.filter(() => rnd.chance(0.12)),
    };
  });
  specs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const { normalizePhone } = await import('../../shared/phone.js');
  await pool(specs, 8, async (spec, i) => {
    const normalized = spec.fields.phone ? normalizePhone(spec.fields.phone, 'BR') : undefined;
    const fields = { ...spec.fields, phone: normalized?.e164, country: normalized?.country ?? (spec.fields.phone ? undefined : 'BR') };
    // ULIDs from the creation time keep "newest first" true to the demo's history.
    const contact = await insertContact(fields, { origin: spec.origin, now: spec.createdAt, id: ulid(Date.parse(spec.createdAt)), createdBy: 'demo' });
    created.push({ id: contact.id, phone: contact.phone, email: contact.email });
    for (const list of spec.lists) await addToList(contact.id, list.id);
    for (const tag of spec.tags) await addTagById(contact.id, tag.id);
    if ((i + 1) % 500 === 0) log(`  ${i + 1}/${count} contacts`);
  });
  // The same person twice (a WhatsApp contact and a CSV row, a phone typed another way):
  // a few duplicates so the merge suggestions have something to show on first start.
  const duplicates = created.filter((c) => c.phone || c.email).slice(0, Math.min(40, Math.floor(created.length / 20)));
  for (const [i, original] of duplicates.entries()) {
    const byPhone = i % 2 === 0 && original.phone;
    await insertContact(
      byPhone ? { firstName: rnd.pick(FIRST), phone: original.phone } : { firstName: rnd.pick(FIRST), lastName: rnd.pick(LAST), email: original.email ?? undefined, phone: original.email ? undefined : original.phone },
      { origin: { type: 'csv', label: 'CSV Import - leads-outubro.csv' }, createdBy: 'demo' },
    );
  }
  if (duplicates.length) log(`  ${duplicates.length} duplicate contacts for the merge suggestions`);
  await seedEngagement(stack, created, log);
  return true;
}
