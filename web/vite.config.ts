import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the server at /admin (see src/modules/admin/web.routes.ts). No inline scripts: the
// server's Content-Security-Policy allows scripts from the same origin only.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 3000,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
