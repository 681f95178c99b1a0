import type { ComprehendClient } from '@aws-sdk/client-comprehend';
import { guessLanguage, scoreSentiment, sentimentLanguage, tokenize, type SentimentLabel } from '../../shared/sentiment/lexicon.js';
import { config } from '../lib/config.js';
import { logger } from '../lib/logger.js';

export interface TextToScore {
  text: string;
  /** The message's or contact's language (`pt-BR`, `es`...), when known. */
  language?: string;
}

let comprehend: ComprehendClient | undefined;

/** Comprehend's BatchDetectSentiment takes at most 25 documents of at most 5,000 bytes. */
const COMPREHEND_BATCH = 25;
const COMPREHEND_MAX_BYTES = 4_900;

const LABELS: Record<string, SentimentLabel> = { POSITIVE: 'positive', NEGATIVE: 'negative', NEUTRAL: 'neutral', MIXED: 'mixed' };

/**
 * Sentiment labels of the contact's own messages: Amazon Comprehend in AWS
 * (`SENTIMENT_PROVIDER=comprehend`), the in-process lexicon otherwise. A
 * text Comprehend cannot score falls back to the lexicon rather than
 * losing the message.
 */
export async function sentimentOf(texts: readonly TextToScore[]): Promise<SentimentLabel[]> {
  if (config().sentimentProvider !== 'comprehend') return texts.map((t) => scoreSentiment(t.text, t.language).label);
  const labels: SentimentLabel[] = texts.map(() => 'neutral');
  const byLanguage = new Map<string, number[]>();
  texts.forEach((t, i) => {
    if (t.text.trim() === '') return;
    const language = sentimentLanguage(t.language) ?? guessLanguage(tokenize(t.text));
    byLanguage.set(language, [...(byLanguage.get(language) ?? []), i]);
  });
  // Loaded on first use rather than at import: the events API's cold start would pay for it before the first request.
  const { BatchDetectSentimentCommand, ComprehendClient } = await import('@aws-sdk/client-comprehend');
  comprehend ??= new ComprehendClient({ region: config().region });
  for (const [language, indexes] of byLanguage) {
    for (let start = 0; start < indexes.length; start += COMPREHEND_BATCH) {
      const chunk = indexes.slice(start, start + COMPREHEND_BATCH);
      try {
        const out = await comprehend.send(
          new BatchDetectSentimentCommand({ LanguageCode: language as 'pt' | 'es' | 'en', TextList: chunk.map((i) => truncateBytes(texts[i].text, COMPREHEND_MAX_BYTES)) }),
        );
        for (const result of out.ResultList ?? []) {
          if (result.Index !== undefined && result.Sentiment) labels[chunk[result.Index]] = LABELS[result.Sentiment] ?? 'neutral';
        }
        for (const failure of out.ErrorList ?? []) {
          if (failure.Index !== undefined) labels[chunk[failure.Index]] = scoreSentiment(texts[chunk[failure.Index]].text, language).label;
        }
      } catch (error) {
        logger.warn('comprehend failed; using the lexicon', { error: error as Error, language, count: chunk.length });
        for (const i of chunk) labels[i] = scoreSentiment(texts[i].text, language).label;
      }
    }
  }
  return labels;
}

function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut) > maxBytes) cut = cut.slice(0, -1);
  return cut;
}

/** Tests replace the Comprehend client. */
export function setComprehendClient(client: ComprehendClient | undefined): void {
  comprehend = client;
}
