import type { BrazilState } from '../../../../shared/area-codes.js';

/**
 * A tile-grid cartogram of Brazil: one equal square per state, placed to
 * keep neighbours next to each other (north at the top, the coast to the
 * east), so small states such as DF or SE stay as readable as AM.
 */
export const BRAZIL_TILES: Record<BrazilState, { col: number; row: number; name: string }> = {
  RR: { col: 2, row: 0, name: 'Roraima' },
  AP: { col: 4, row: 0, name: 'Amapá' },
  AM: { col: 1, row: 1, name: 'Amazonas' },
  PA: { col: 3, row: 1, name: 'Pará' },
  MA: { col: 4, row: 1, name: 'Maranhão' },
  CE: { col: 5, row: 1, name: 'Ceará' },
  RN: { col: 6, row: 1, name: 'Rio Grande do Norte' },
  AC: { col: 0, row: 2, name: 'Acre' },
  RO: { col: 1, row: 2, name: 'Rondônia' },
  MT: { col: 2, row: 2, name: 'Mato Grosso' },
  TO: { col: 3, row: 2, name: 'Tocantins' },
  PI: { col: 4, row: 2, name: 'Piauí' },
  PE: { col: 5, row: 2, name: 'Pernambuco' },
  PB: { col: 6, row: 2, name: 'Paraíba' },
  MS: { col: 2, row: 3, name: 'Mato Grosso do Sul' },
  GO: { col: 3, row: 3, name: 'Goiás' },
  DF: { col: 4, row: 3, name: 'Distrito Federal' },
  BA: { col: 5, row: 3, name: 'Bahia' },
  AL: { col: 6, row: 3, name: 'Alagoas' },
  SP: { col: 3, row: 4, name: 'São Paulo' },
  MG: { col: 4, row: 4, name: 'Minas Gerais' },
  ES: { col: 5, row: 4, name: 'Espírito Santo' },
  SE: { col: 6, row: 4, name: 'Sergipe' },
  PR: { col: 3, row: 5, name: 'Paraná' },
  RJ: { col: 4, row: 5, name: 'Rio de Janeiro' },
  SC: { col: 3, row: 6, name: 'Santa Catarina' },
  RS: { col: 2, row: 7, name: 'Rio Grande do Sul' },
};
