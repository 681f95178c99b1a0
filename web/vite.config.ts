import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
// `npm run dev` of the SPA alone proxies the API to a local host already running.
const apiTarget = process.env.API_PROXY ?? 'http://localhost:3000';

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rollupOptions: {
      output: {
        // The Svelte runtime in a chunk of its own name, cached across releases of the pages.
        manualChunks: (id: string) => (id.includes('/node_modules/svelte/') ? 'svelte' : undefined),
      },
    },
  },
  server: {
    proxy: {
      '/v1': apiTarget,
      '/local': apiTarget,
      '/config.json': apiTarget,
    },
  },
});
