// Builds the `hostnic` CNI plugin as one executable that runs on a host without Node.js (a Node single-executable
// application): the hostnic chart copies it to the host's /opt/cni/bin, where the runtime execs it per pod.
//   1. the plugin as one CommonJS file (SEA runs CommonJS only): dist/bundle/hostnic.cjs from `npm run build`, or,
//      when that is missing, esbuild bundles dist/cni/plugin/main.js the same way;
//   2. `node --experimental-sea-config` turns it into a blob;
//   3. postject injects the blob into a copy of this node binary (postject is a devDependency).
// Usage: node scripts/build-cni-sea.mjs [--out out/hostnic]
import { execFile } from 'node:child_process';
import { copyFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const PLUGIN_BUNDLE = 'dist/bundle/hostnic.cjs';
const PLUGIN_ENTRY = 'dist/cni/plugin/main.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'out/hostnic' } } });
const out = resolve(values.out);
const work = await mkdtemp(join(tmpdir(), 'hostnic-sea-'));
try {
  let script = resolve(PLUGIN_BUNDLE);
  if (!existsSync(script)) {
    if (!existsSync(PLUGIN_ENTRY)) throw new Error(`${PLUGIN_ENTRY} is missing: run \`npm run build\` first`);
    const { build } = await import('esbuild');
    script = join(work, 'hostnic.cjs');
    await build({ entryPoints: [PLUGIN_ENTRY], outfile: script, bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, legalComments: 'none', logLevel: 'warning' });
  }
  const blob = join(work, 'hostnic.blob');
  const config = join(work, 'sea-config.json');
  await writeFile(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true }));
  await promisify(execFile)(process.execPath, ['--experimental-sea-config', config]);

  let inject;
  try {
    ({ inject } = await import('postject'));
  } catch (err) {
    throw new Error('postject is not installed: add it as a devDependency (npm i -D postject) and run npm ci', { cause: err });
  }
  await mkdir(dirname(out), { recursive: true });
  await copyFile(process.execPath, out);
  await chmod(out, 0o755);
  await inject(out, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SEA_FUSE });
  process.stdout.write(`${out}: hostnic single executable (${script})\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
