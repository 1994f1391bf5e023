import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Compiles the dashboard's `.svelte.ts` manager classes (runes) for tests/unit/dashboard.
  plugins: [svelte({ configFile: false })],
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration suites start real servers on ephemeral ports; two cores, so keep it modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
