import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    // The kernel imports build/handler.js and serves the studio beside /api.
    adapter: adapter({ out: 'build' }),
  },
};

export default config;
