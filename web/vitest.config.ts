import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// Unit tests for the API client and helpers, and component tests that mount
// Svelte components into happy-dom. The browser export conditions make
// `svelte` resolve to its client runtime, which `mount` needs.
export default defineConfig({
  plugins: [sveltekit()],
  resolve: { conditions: ['browser'] },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'happy-dom',
  },
});
