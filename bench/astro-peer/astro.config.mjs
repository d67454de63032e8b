// The Astro peer of mochi's latency benchmark: every page rendered on
// request (like mochi's), server islands answered by the Node adapter.
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  // No telemetry prompt, no dev toolbar: only `astro build` is used.
  devToolbar: { enabled: false },
});
