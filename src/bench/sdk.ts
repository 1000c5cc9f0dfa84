// `npm run bench:sdk [-- --lifecycles N --latency-ms L]`: API calls and wall time of N concurrent volume lifecycles
// (create, attach, detach, delete, each waited for) through one SDK client against the simulator.
import { parseArgs } from 'node:util';
import { startSimulator } from '../qingcloud/sim/index.js';
import { sdkForSimulator } from './sim-client.js';

const { values } = parseArgs({
  options: { lifecycles: { type: 'string', default: '50' }, 'latency-ms': { type: 'string', default: '500' } },
});
const lifecycles = Number(values.lifecycles);
const latencyMs = Number(values['latency-ms']);

const sim = await startSimulator({ jobLatencyMs: latencyMs, random: 1, seed: { limits: { max_volumes_per_instance: 1000 } } });
const sdk = sdkForSimulator(sim, { budget: null });
const instances = (await sdk.api.instances.describeAllInstances()).filter((i) => i.instance_class === 0);
sim.resetCallCounts();
sdk.metrics.reset();

const t0 = performance.now();
await Promise.all(
  Array.from({ length: lifecycles }, async (_, i) => {
    const instance = instances[i % instances.length]!.instance_id;
    const id = (await sdk.api.volumes.createVolumesAndWait({ size: 20, volume_name: `bench-${i}`, count: 1 })).volumeIds[0]!;
    await sdk.api.volumes.attachVolumesAndWait([id], instance);
    await sdk.api.volumes.detachVolumesAndWait([id], instance);
    await sdk.api.volumes.deleteVolumesAndWait([id]);
  }),
);
const wallMs = performance.now() - t0;
const counts = sim.callCounts();
const total = Object.values(counts).reduce((a, b) => a + b, 0);
const floorMs = 4 * latencyMs;

console.log(`bench:sdk — ${lifecycles} concurrent volume lifecycles (create, attach, detach, delete), job latency ${latencyMs} ms`);
for (const [action, n] of Object.entries(counts).sort()) console.log(`  ${action.padEnd(16)} ${String(n).padStart(6)} calls`);
console.log(`  API calls in total           ${total}`);
console.log(`  API calls per lifecycle      ${(total / lifecycles).toFixed(2)} (4 mutating + shared DescribeJobs)`);
console.log(`  DescribeJobs per lifecycle   ${((counts['DescribeJobs'] ?? 0) / lifecycles).toFixed(2)} (one poller batches every waiting job)`);
console.log(`  wall time                    ${wallMs.toFixed(0)} ms (floor ${floorMs} ms = 4 jobs x ${latencyMs} ms; ratio ${(wallMs / floorMs).toFixed(2)})`);
await sdk.close();
await sim.stop();
