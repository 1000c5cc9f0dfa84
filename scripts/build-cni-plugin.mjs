// Bundles the hostnic CNI plugin (dist/cni/plugin/main.js) into one CommonJS file, dist/bundle/hostnic.cjs (the node
// daemon is bundled with the CSI driver by scripts/bundle.mjs). The runtime execs the plugin on every pod ADD/DEL, so its start-up is paid each time: one CommonJS file avoids both the
// per-module resolution and the ES module loader (together ≈ 10 ms of a ≈ 25-50 ms start). This file is what the
// image's single executable embeds and what the e2e, the bench and the demo exec.
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

/**
 * src/cni/types.ts takes isIP from node:net, and loading node:net pulls in the whole stream stack (≈ 3 ms of every
 * exec). In the plugin bundle node:net is this stand-in, which loads the real module the first time isIP or connect
 * is called (a verb that parses IPs connects to the daemon anyway; VERSION never does).
 */
const lazyNet = {
  name: 'lazy-node-net',
  setup(b) {
    b.onResolve({ filter: /^(node:)?net$/ }, (args) => (args.importer.endsWith('lazy-net-shim') ? undefined : { path: 'lazy-net-shim', namespace: 'lazy-net' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-net' }, () => ({
      contents:
        "let net; const real = () => (net ??= require('node:net'));" +
        ' export function isIP(input) { return real().isIP(input); }' +
        ' export function connect(...args) { return real().connect(...args); }',
      loader: 'js',
    }));
  },
};

const outfile = 'dist/bundle/hostnic.cjs';
await build({
  plugins: [lazyNet],
  entryPoints: ['dist/cni/plugin/main.js'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
await chmod(outfile, 0o755);

