import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a compiled entry point under dist/ (built by `npm ci` / `npm run build`). */
export function distEntry(relative: string): string {
  const path = fileURLToPath(new URL(`../../dist/${relative}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm ci does it)`);
  return path;
}
