import { BatchDetectSentimentCommand, ComprehendClient } from '@aws-sdk/client-comprehend';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProfileEngagement } from '../../functions/engagement/profile-engagement.js';
import { sentimentOf, setComprehendClient } from '../../functions/events/sentiment.js';
import { resetConfig } from '../../functions/lib/config.js';
import { guessLanguage, scoreSentiment, tokenize } from '../../shared/sentiment/lexicon.js';

const TZ = 'America/Sao_Paulo';
// 2026-03-10 15:00 UTC = 12:00 in Sao Paulo: today is 2026-03-10, the window starts 2025-12-11.
const NOW = new Date('2026-03-10T15:00:00Z');
const day = (date: string, counters: Record<string, number>) => ({ pk: 'CONTACT#c', sk: `P#ENGD#${date}`, type: 'engagementDay', date, ...counters });

describe('buildProfileEngagement', () => {
  it('sums the day items inside the 90-day window only', () => {
    const view = buildProfileEngagement(
      [
        day('2025-12-10', { sms_sent: 100, sms_delivered: 100, sms_engaged: 100 }), // one day too old
        day('2025-12-11', { sms_sent: 2, sms_delivered: 2, sms_replied: 1, sms_engaged: 1 }),
        day('2026-03-10', { email_sent: 4, email_delivered: 3, email_read: 2, email_clicked: 1, email_engaged: 2 }),
        day('2026-03-11', { email_sent: 50 }), // tomorrow: not in "today and the 89 days before"
      ],
      NOW,
      TZ,
    );
    expect(view.engagement.window).toEqual({ from: '2025-12-11', to: '2026-03-10', days: 90 });
    expect(view.engagement.dispatched).toEqual({ total: 6, byChannel: { sms: 2, email: 4 } });
    expect(view.engagement.channels).toEqual({
      sms: { sent: 2, delivered: 2, replied: 1, deliveryRate: 100, responseRate: 50 },
      email: { sent: 4, delivered: 3, read: 2, clicked: 1, deliveryRate: 75, openRate: 66.67, clickRate: 33.33 },
    });
    // 3 engaged of 5 delivered
    expect(view.engagement.rate).toBe(60);
    expect(view.engagement.band).toBe('high');
  });

  it('draws a weekly trend over the window, oldest first', () => {
    const view = buildProfileEngagement(
      [day('2025-12-11', { whatsapp_sent: 2, whatsapp_delivered: 2, whatsapp_engaged: 1 }), day('2026-03-09', { whatsapp_sent: 1, whatsapp_delivered: 1 })],
      NOW,
      TZ,
    );
    const trend = view.engagement.trend;
    expect(trend).toHaveLength(13);
    expect(trend[0]).toEqual({ date: '2025-12-11', rate: 50, dispatched: 2 });
    expect(trend[12]).toEqual({ date: '2026-03-05', rate: 0, dispatched: 1 });
    expect(trend[5]).toEqual({ date: '2026-01-15', rate: null, dispatched: 0 });
  });

  it('names the busiest weekday and hour as the best time, with its basis', () => {
    const view = buildProfileEngagement([day('2026-03-01', { bt_2_9: 3, bt_5_20: 4 }), day('2026-03-02', { bt_2_9: 2 })], NOW, TZ);
    expect(view.engagement.bestTime).toEqual({ weekday: 2, hour: 9, basis: 9 });
  });

  it('reads tickets from the summary and satisfaction from the window', () => {
    const view = buildProfileEngagement(
      [
        { pk: 'CONTACT#c', sk: 'P#ENG#SUMMARY', type: 'engagementSummary', tk_open: 2, tk_resolved: 5 },
        day('2026-03-01', { cv_all: 4, cv_contact: 3, sn_positive: 1, sn_neutral: 1, sn_negative: 3 }),
      ],
      NOW,
      TZ,
    );
    expect(view.tickets).toEqual({ open: 2, resolved: 5, all: 7 });
    expect(view.satisfaction).toEqual({ index: 'dissatisfied', interactionRate: 75 });
  });
});

describe('lexicon sentiment', () => {
  it.each([
    ['Adorei o atendimento, muito obrigado!', 'pt', 'positive'],
    ['O produto chegou quebrado, péssimo serviço', 'pt', 'negative'],
    ['Não gostei', 'pt', 'negative'],
    ['pessimo atendimento', 'pt', 'negative'],
    ['Bom dia, qual o prazo de entrega?', 'pt', 'neutral'],
    ['Excelente servicio, gracias', 'es', 'positive'],
    ['Mi pedido no llegó, muy malo', 'es', 'negative'],
    ['Great help, thanks a lot', 'en', 'positive'],
    ['This is terrible, I want a refund', 'en', 'negative'],
  ])('labels "%s" (%s) %s', (text, language, label) => {
    expect(scoreSentiment(text, language).label).toBe(label);
    expect(scoreSentiment(text).label).toBe(label);
  });

  it('guesses the language from common words when it is unknown', () => {
    expect(guessLanguage(tokenize('Olá, meu pedido ainda não chegou'))).toBe('pt');
    expect(guessLanguage(tokenize('Hola, mi pedido todavía no llegó'))).toBe('es');
    expect(guessLanguage(tokenize('Hi, my order is still not here'))).toBe('en');
  });
});

describe('sentimentOf with Comprehend', () => {
  const comprehend = mockClient(ComprehendClient);
  afterEach(() => {
    comprehend.reset();
    delete process.env.SENTIMENT_PROVIDER;
    resetConfig();
    setComprehendClient(undefined);
  });

  it('batches by language and falls back to the lexicon for texts Comprehend cannot score', async () => {
    process.env.TABLE_NAME = 'unit';
    process.env.SENTIMENT_PROVIDER = 'comprehend';
    resetConfig();
    setComprehendClient(new ComprehendClient({ region: 'us-east-1' }));
    comprehend.on(BatchDetectSentimentCommand).callsFake((input: { LanguageCode: string; TextList: string[] }) =>
      input.LanguageCode === 'pt'
        ? { ResultList: [{ Index: 0, Sentiment: 'MIXED' }], ErrorList: [{ Index: 1, ErrorCode: 'INTERNAL_SERVER_ERROR' }] }
        : { ResultList: input.TextList.map((_, Index) => ({ Index, Sentiment: 'NEGATIVE' })), ErrorList: [] },
    );
    const labels = await sentimentOf([
      { text: 'Recebi, mas veio faltando peça', language: 'pt-BR' },
      { text: 'Muito obrigado, perfeito!', language: 'pt' },
      { text: 'Where is my order?', language: 'en' },
      { text: '   ' },
    ]);
    expect(labels).toEqual(['mixed', 'positive', 'negative', 'neutral']);
    const calls = comprehend.commandCalls(BatchDetectSentimentCommand).map((c) => [c.args[0].input.LanguageCode, c.args[0].input.TextList!.length]);
    expect(calls.sort()).toEqual([['en', 1], ['pt', 2]]);
  });
});
