import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// In `vite dev` the studio runs on its own port, so API calls are forwarded to
// a kernel started separately (`mify start`, default port 3000).
const kernelUrl = process.env.MIFY_KERNEL_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: { '/api': { target: kernelUrl, changeOrigin: false } },
  },
});
