// Fails when src/ has an import cycle (architecture.md "Layers", rule 6).
import madge from 'madge';

const result = await madge('src', {
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  detectiveOptions: { ts: { skipTypeImports: true } },
});
const cycles = result.circular();
if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${cycle.join(' -> ')}`);
  process.exit(1);
}
console.log(`no import cycles in ${Object.keys(result.obj()).length} modules`);
