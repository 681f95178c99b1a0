type Afinn = Record<string, { coeff: number }>;
declare const lists: { en: Afinn; es: Afinn; pt: Afinn; negators: Record<string, string[]> };
export = lists;
