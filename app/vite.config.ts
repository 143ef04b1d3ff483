/**
 * The Cairn app (a SMART on FHIR app), built into app/dist and served by Cairn at /app/.
 * Two pages: launch.html starts a SMART launch (EHR or standalone), index.html is the app the
 * authorization server sends the browser back to. JSX is compiled by Vite's own transformer
 * (React's automatic runtime); @vitejs/plugin-react adds only fast refresh and its peer
 * dependencies conflict with Jest's Babel 7 here.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/app/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: { input: { index: resolve(root, 'index.html'), launch: resolve(root, 'launch.html') } },
  },
  server: { proxy: { '/api': 'http://localhost:3000', '/cds-services': 'http://localhost:3000' } },
});
