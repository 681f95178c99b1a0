/**
 * Words customers use with support and sales teams that the machine-
 * translated AFINN lists miss or score oddly, on AFINN's -5..+5 scale.
 * Verb forms are listed because the lists hold mostly infinitives.
 */
export const SUPPLEMENT: Record<'pt' | 'es' | 'en', Record<string, number>> = {
  pt: {
    ruim: -3, péssimo: -4, péssima: -4, horrível: -3, horrivel: -3, quebrado: -2, quebrada: -2, quebrou: -2, atrasado: -2, atrasada: -2,
    atrasou: -2, demorando: -2, demorou: -2, lento: -2, lenta: -2, reclamação: -2, reclamar: -2, decepcionado: -3, decepcionada: -3,
    insatisfeita: -2, defeito: -2, errado: -2, errada: -2, cobrança: -1, indevida: -2, indevido: -2, nunca: -1, cansado: -2, cansada: -2,
    descaso: -3, vergonha: -2, lixo: -3, reembolso: -1, 'não funciona': -3, 'não chegou': -2, 'não resolveu': -3,
    gostei: 2, adorei: 3, amei: 3, otimo: 3, obrigada: 2, valeu: 2, perfeito: 3, perfeita: 3, rápida: 2, rapido: 2, resolvido: 2,
    resolveu: 2, satisfeita: 3, recomendo: 2, maravilhoso: 4, maravilhosa: 4, parabéns: 3, top: 2, funcionou: 2, ajudou: 2, atencioso: 2,
    atenciosa: 2, eficiente: 2, show: 2, 'muito bom': 3, 'muito boa': 3,
    // Greetings and requests for help are not sentiment.
    ajuda: 0, 'bom dia': 0, 'boa tarde': 0, 'boa noite': 0,
  },
  es: {
    pésimo: -4, pésima: -4, pesimo: -4, mala: -3, horrible: -3, rota: -2, rompió: -2, atrasado: -2, retrasado: -2, tarde: -1, lento: -2,
    lenta: -2, quejar: -2, insatisfecho: -2, insatisfecha: -2, decepcionado: -3, decepcionada: -3, defecto: -2, equivocado: -2, nunca: -1,
    reembolso: -1, vergüenza: -2, basura: -3, 'no funciona': -3, 'no llegó': -2,
    gracias: 2, genial: 3, perfecto: 3, perfecta: 3, encantó: 3, encanta: 3, rápido: 2, rápida: 2, resuelto: 2, resolvió: 2, satisfecho: 3,
    satisfecha: 3, recomiendo: 2, maravilloso: 4, felicitaciones: 3, funcionó: 2, ayudó: 2, amable: 2, eficiente: 2, 'muy bueno': 3, 'muy buena': 3,
    ayuda: 0, 'buenos días': 0, 'buenas tardes': 0, 'buenas noches': 0,
  },
  en: {
    late: -1, slow: -2, refund: -1, fixed: 2, works: 1, worked: 1, helpful: 2, broken: -2, worst: -3, rude: -2, 'not working': -3, 'never arrived': -2,
    'good morning': 0, 'good afternoon': 0,
  },
};

/** Frequent function words that tell the three languages apart (language guess when the contact's is unknown). */
export const LANGUAGE_HINTS: Record<'pt' | 'es' | 'en', Set<string>> = {
  pt: new Set(['não', 'nao', 'você', 'voce', 'meu', 'minha', 'obrigado', 'obrigada', 'é', 'está', 'estou', 'muito', 'com', 'isso', 'ainda', 'vocês', 'pedido', 'olá', 'oi', 'por', 'favor', 'bom', 'dia', 'tudo', 'uma', 'foi', 'tem', 'mas']),
  es: new Set(['no', 'usted', 'mi', 'gracias', 'es', 'está', 'estoy', 'muy', 'con', 'eso', 'todavía', 'ustedes', 'pedido', 'hola', 'por', 'favor', 'buenos', 'días', 'todo', 'una', 'fue', 'tiene', 'pero', 'el', 'los', 'que', 'y']),
  en: new Set(['the', 'is', 'you', 'my', 'not', 'thanks', 'thank', 'i', 'am', 'very', 'with', 'this', 'still', 'order', 'hello', 'hi', 'please', 'good', 'morning', 'all', 'was', 'has', 'but', 'and', 'it', 'to', 'of']),
};
