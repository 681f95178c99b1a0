/**
 * Brazilian area codes (DDD) and the state (UF) each one serves, as ANATEL
 * assigns them. DDD 61 serves the Federal District and a few towns of Goiás
 * around it; it maps to DF, where almost all of its numbers are.
 */
export const BRAZIL_STATES = [
  'AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA',
  'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO',
] as const;
export type BrazilState = (typeof BRAZIL_STATES)[number];

const DDD_BY_STATE: Record<BrazilState, readonly number[]> = {
  SP: [11, 12, 13, 14, 15, 16, 17, 18, 19],
  RJ: [21, 22, 24],
  ES: [27, 28],
  MG: [31, 32, 33, 34, 35, 37, 38],
  PR: [41, 42, 43, 44, 45, 46],
  SC: [47, 48, 49],
  RS: [51, 53, 54, 55],
  DF: [61],
  GO: [62, 64],
  TO: [63],
  MT: [65, 66],
  MS: [67],
  AC: [68],
  RO: [69],
  BA: [71, 73, 74, 75, 77],
  SE: [79],
  PE: [81, 87],
  AL: [82],
  PB: [83],
  RN: [84],
  CE: [85, 88],
  PI: [86, 89],
  PA: [91, 93, 94],
  AM: [92, 97],
  RR: [95],
  AP: [96],
  MA: [98, 99],
};

export const STATE_BY_DDD: Readonly<Record<string, BrazilState>> = Object.fromEntries(
  Object.entries(DDD_BY_STATE).flatMap(([state, codes]) => codes.map((code) => [String(code), state as BrazilState])),
);

/** The state of a two-digit DDD, or undefined for a code ANATEL has not assigned. */
export function stateOfAreaCode(ddd: string): BrazilState | undefined {
  return STATE_BY_DDD[ddd];
}

/** The DDD of a Brazilian E.164 number (`+55 DD ...`), or undefined for any other number. */
export function areaCodeOf(e164: string): string | undefined {
  const match = /^\+55(\d{2})\d{8,9}$/.exec(e164);
  return match?.[1];
}
