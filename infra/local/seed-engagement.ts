import { createApiKey } from '../../functions/events/api-keys.js';
import { RETRY, withBackoff } from '../../functions/lib/backoff.js';
import type { MessageStatus } from '../../shared/engagement.js';
import type { LocalStack } from './stack.js';
import { prng } from './seed.js';

/**
 * Seeds 90 days of message and conversation events for the demo contacts
 * through the real ingestion path (POST /v1/events, 500 per call), so every
 * number on screen is computed. Deterministic: the same tenant on every
 * machine. Contacts differ in how often they are messaged and how much they
 * engage, so every band, channel mix and satisfaction shows up.
 */
type Rnd = ReturnType<typeof prng>;
type SeedContact = { id: string; phone?: string; email?: string };
type SeedEvent = Record<string, unknown> & { id: string; at: string };

const DAY = 86_400_000;
const MINUTE = 60_000;
const BATCH = 500;
const PARALLEL_CALLS = 3;

/** Hours (tenant-local, Sao Paulo is UTC-3) when campaigns go out and people answer. */
const SEND_HOURS = [9, 9, 10, 10, 11, 12, 14, 15, 16, 18, 19, 20];

const TEXTS = {
  pt: {
    positive: ['Adorei o atendimento, muito obrigado!', 'Perfeito, resolveu meu problema', 'Chegou rápido, recomendo!', 'Ótimo, obrigada pela ajuda', 'Vocês são excelentes 👍'],
    neutral: ['Qual o prazo de entrega?', 'Bom dia, gostaria de saber o preço', 'Pode me enviar o boleto?', 'Quero mudar meu endereço', 'Qual o horário de funcionamento?'],
    negative: ['Meu pedido não chegou ainda', 'O produto veio quebrado, péssimo', 'Cobrança indevida no meu cartão, absurdo', 'Já é a terceira vez que reclamo, que descaso', 'O app não funciona'],
    agent: ['Olá! Como posso ajudar?', 'Vou verificar para você, um momento.', 'Pronto, já resolvemos por aqui.', 'Posso ajudar em algo mais?'],
  },
  es: {
    positive: ['Excelente servicio, gracias', 'Perfecto, muy amable', 'Llegó rápido, recomiendo'],
    neutral: ['¿Cuál es el plazo de entrega?', 'Buenos días, quisiera saber el precio', '¿Me envían la factura?'],
    negative: ['Mi pedido no llegó', 'El producto llegó roto, pésimo', 'Muy malo, nadie responde'],
    agent: ['¡Hola! ¿En qué puedo ayudar?', 'Lo verifico, un momento.', 'Listo, ya está resuelto.'],
  },
  en: {
    positive: ['Great help, thanks a lot', 'Perfect, thank you!', 'Fast delivery, love it'],
    neutral: ['When will my order arrive?', 'Can you send me the invoice?', 'What are your opening hours?'],
    negative: ['My order never arrived', 'This is terrible, I want a refund', 'The app is not working'],
    agent: ['Hi! How can I help?', 'Let me check that for you.', 'Done, it is fixed now.'],
  },
} as const;

function languageOf(contact: SeedContact): keyof typeof TEXTS {
  if (contact.phone?.startsWith('+54') || contact.phone?.startsWith('+52')) return 'es';
  if (contact.phone?.startsWith('+1')) return 'en';
  return 'pt';
}

/** A phone written the way a platform might send it, to exercise resolution by phone in any format. */
function displayPhone(e164: string): string {
  return e164.startsWith('+55') ? `(${e164.slice(3, 5)}) ${e164.slice(5, 10)}-${e164.slice(10)}` : e164;
}

function sendTime(rnd: Rnd, now: number, dayBack: number): number {
  const base = new Date(now - dayBack * DAY);
  base.setUTCHours(rnd.pick(SEND_HOURS) + 3, rnd.int(0, 59), rnd.int(0, 59), 0);
  return base.getTime();
}

export function engagementEvents(contacts: readonly SeedContact[], now: number, seed = 4242): SeedEvent[] {
  const rnd = prng(seed);
  const events: SeedEvent[] = [];
  let n = 0;
  const push = (event: Record<string, unknown>, at: number) => {
    if (at >= now) return;
    events.push({ id: `seed-${seed}-${n++}`, ...event, at: new Date(at).toISOString() } as SeedEvent);
  };
  contacts.forEach((contact, index) => {
    const ref = (): Record<string, string> => {
      const roll = rnd.next();
      if (roll < 0.1 && contact.phone) return { phone: displayPhone(contact.phone) };
      if (roll < 0.15 && contact.email) return { email: contact.email.toUpperCase() };
      return { contactId: contact.id };
    };
    const channels = [...(contact.phone ? ['whatsapp', 'whatsapp', 'sms', 'rcs'] : []), ...(contact.email ? ['email', 'email'] : [])];
    if (channels.length === 0) return;
    const activity = rnd.next();
    // Most contacts get a few messages in 90 days, a quarter of them many more.
    const messages = activity < 0.2 ? 0 : activity < 0.75 ? rnd.int(1, 5) : rnd.int(6, 14);
    // How much this contact engages: spread so that every band is represented.
    const propensity = Math.min(0.95, Math.max(0.02, rnd.next() ** 1.3));
    for (let m = 0; m < messages; m++) {
      const channel = rnd.pick(channels);
      const messageId = `seed-${index}-${m}`;
      const sentAt = sendTime(rnd, now, rnd.int(0, 89));
      const base = { type: 'message.status', messageId, channel, broadcast: rnd.chance(0.85) };
      const status = (s: MessageStatus, at: number) => push({ ...base, status: s, ...ref() }, at);
      status('sent', sentAt);
      if (rnd.chance(channel === 'sms' ? 0.9 : 0.95)) {
        const deliveredAt = sentAt + rnd.int(1, 90) * 1000;
        // Some platforms skip the delivery receipt when a read receipt follows.
        const readsFirst = channel !== 'sms' && rnd.chance(propensity);
        if (!readsFirst || rnd.chance(0.7)) status('delivered', deliveredAt);
        const readAt = deliveredAt + rnd.int(1, 600) * MINUTE;
        if (readsFirst) {
          status('read', readAt);
          if (rnd.chance(propensity * 0.5)) status('clicked', readAt + rnd.int(1, 30) * 1000);
        }
        if ((channel === 'sms' || channel === 'whatsapp') && rnd.chance(propensity * (channel === 'sms' ? 0.5 : 0.4))) {
          status('replied', readAt + rnd.int(1, 120) * MINUTE);
        }
      } else {
        status('failed', sentAt + rnd.int(1, 60) * 1000);
      }
    }
    const conversations = rnd.chance(0.3) ? rnd.int(1, 2) : 0;
    const texts = TEXTS[languageOf(contact)];
    const mood = rnd.next();
    for (let c = 0; c < conversations; c++) {
      const conversationId = `seed-cv-${index}-${c}`;
      const kind = rnd.chance(0.4) ? 'sales' : 'support';
      const openedAt = sendTime(rnd, now, rnd.int(0, 89));
      const conv = { conversationId, ...ref() };
      push({ type: 'conversation.status', ...conv, kind, status: 'open' }, openedAt);
      let at = openedAt;
      const turns = rnd.int(1, 3);
      for (let t = 0; t < turns; t++) {
        at += rnd.int(1, 20) * MINUTE;
        const tone = mood < 0.25 ? 'negative' : mood < 0.6 ? 'neutral' : 'positive';
        if (t > 0 || rnd.chance(0.85)) push({ type: 'conversation.message', ...conv, from: 'contact', text: rnd.pick(texts[rnd.chance(0.7) ? tone : 'neutral']) }, at);
        at += rnd.int(1, 15) * MINUTE;
        push({ type: 'conversation.message', ...conv, from: 'agent', text: rnd.pick(texts.agent) }, at);
      }
      if (rnd.chance(0.75)) push({ type: 'conversation.status', ...conv, kind, status: 'resolved' }, at + rnd.int(5, 600) * MINUTE);
    }
  });
  return events;
}

export async function seedEngagement(stack: LocalStack, contacts: SeedContact[], log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const events = engagementEvents(contacts, started);
  log(`Seeding engagement: ${events.length} message and conversation events through POST /v1/events...`);
  const { key } = await createApiKey({ name: 'Demo seed' }, 'demo-seed');
  let next = 0;
  let sent = 0;
  let lastReport = 0;
  // A retry is safe: ids already applied come back as duplicates. A busy machine can make a
  // call outlast the function timeout; the waits give it room.
  const post = async (batch: SeedEvent[]) => {
    let problem = '';
    return withBackoff(
      async () => {
        try {
          const response = await fetch(`${stack.baseUrl}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key },
            body: JSON.stringify({ events: batch }),
          });
          const body = (await response.json()) as { rejected?: { reason: string }[] };
          if (response.status === 202 && !(body.rejected ?? []).some((r) => r.reason.startsWith('busy'))) return body;
          problem = `${response.status} ${JSON.stringify(body).slice(0, 300)}`;
        } catch (error) {
          problem = (error as Error).message;
        }
        return RETRY;
      },
      { attempts: 8, baseMs: 1_000, maxMs: 8_000, exhausted: () => new Error(`seeding events failed: ${problem}`) },
    );
  };
  await Promise.all(
    Array.from({ length: PARALLEL_CALLS }, async () => {
      while (next < events.length) {
        const batch = events.slice(next, next + BATCH);
        next += BATCH;
        const body = await post(batch);
        if ((body.rejected ?? []).length > 0) log(`  ${body.rejected!.length} seed events rejected: ${body.rejected![0].reason}`);
        sent += batch.length;
        if (sent - lastReport >= 10_000 || sent === events.length) {
          lastReport = sent;
          log(`  ${sent}/${events.length} events (${Math.round((Date.now() - started) / 1000)} s)`);
        }
      }
    }),
  );
  // Counting happens in the table stream; the app is usable meanwhile, so report progress
  // in the background instead of holding the start (a busy machine may need minutes).
  log(`  events posted in ${Math.round((Date.now() - started) / 1000)} s; counting them in the background (table stream)...`);
  const poll = setInterval(() => log(`  ${stack.poller.stats.records} stream records processed (${Math.round((Date.now() - started) / 1000)} s)`), 15_000);
  poll.unref();
  void stack
    .drain(60 * 60_000)
    .then(() => log(`  engagement counted in ${Math.round((Date.now() - started) / 1000)} s`))
    .catch(() => log('  engagement counting is still running'))
    .finally(() => clearInterval(poll));
}
