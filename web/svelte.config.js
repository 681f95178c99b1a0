/** Svelte compiler options for the SPA: runes everywhere (no legacy reactive statements). */
export default {
  compilerOptions: {
    runes: true,
  },
};
