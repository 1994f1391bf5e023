import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

/** Where `deskprint start` listens by default (DESIGN.md "Processes"). */
const DEV_API = process.env.DESKPRINT_DEV_API ?? 'http://127.0.0.1:8080';

// `npm run build` runs from the repository root; resolve everything from this file so the
// config also works from elsewhere (the e2e test calls vite's build() with it).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The initial route must stay under 150 KB gzipped; let Vite warn well before that.
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': DEV_API,
      '/socket.io': { target: DEV_API, ws: true },
    },
  },
});
