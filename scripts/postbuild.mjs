// Marks every compiled entry point (dist/**/main.js) executable so `bin` links and direct exec work.
import { readdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';

async function walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path);
    else if (entry.name === 'main.js') await chmod(path, 0o755);
  }
}
await walk(new URL('../dist', import.meta.url).pathname);
