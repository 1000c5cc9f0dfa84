// Bundles each long-running entry point into one minified ES module under dist/bundle/: fewer module records and
// less source kept in memory than thousands of files, which is what keeps the driver and daemon under their RSS budget.
import { build } from 'esbuild';

const entries = { 'qingcloud-csi': 'dist/csi/main.js', 'hostnic-daemon': 'dist/cni/daemon/main.js' };
for (const [name, entry] of Object.entries(entries)) {
  await build({
    entryPoints: [entry],
    outfile: `dist/bundle/${name}.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Bundled CommonJS dependencies call require(); give the ES module one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
}
