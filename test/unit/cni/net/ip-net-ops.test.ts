import { describe, expect, it } from 'vitest';
import { CommandFailedError, type CommandResult } from '../../../../src/shared/exec.js';
import { IpNetOps, classifyIpFailure, ipCommand } from '../../../../src/cni/net/ip-net-ops.js';
import { isNetOpsError, type NetOpsError } from '../../../../src/cni/net/net-error.js';
import type { PodNetSpec } from '../../../../src/cni/net/net-ops.js';
import { hostVethName } from '../../../../src/cni/net/validate.js';
import { FakeCommandRunner } from '../../../fakes/fake-command-runner.js';

const MAC = '52:54:0a:0b:0c:0d';
const HN = hostVethName('ctr1');
const POD = '/var/run/netns/cni-1';
const NOT_FOUND: Partial<CommandResult> = { exitCode: 1, stderr: 'Cannot find device "x"\n' };

type Link = { ifindex: number; ifname: string; address: string; flags: string[]; linkinfo?: { info_kind: string } };
const lo: Link = { ifindex: 1, ifname: 'lo', address: '00:00:00:00:00:00', flags: ['LOOPBACK', 'UP'] };
const nic = (name: string, up: boolean): Link => ({ ifindex: 7, ifname: name, address: MAC, flags: up ? ['BROADCAST', 'UP'] : ['BROADCAST'] });
const veth = (name: string): Link => ({ ifindex: 9, ifname: name, address: '0e:00:00:00:00:01', flags: ['BROADCAST', 'UP'], linkinfo: { info_kind: 'veth' } });

const SPEC: PodNetSpec = {
  containerId: 'ctr1',
  podNetns: POD,
  ifName: 'eth0',
  nicMac: MAC,
  address: '192.168.1.10/24',
  gateway: '192.168.1.1',
  serviceCidrs: ['10.96.0.0/12'],
  hostIps: ['192.168.0.5'],
  hostNetns: 'node1',
};

function enoent(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: 'ENOENT' });
}

/** The namespace an argv runs in ("" = root) and the ip arguments proper. */
function split(command: string, args: readonly string[]): { ns: string; ip: readonly string[] } {
  if (command === 'nsenter') return { ns: args[0]!.slice('--net='.length), ip: args.slice(3) };
  if (args[0] === '-n') return { ns: args[1]!, ip: args.slice(2) };
  return { ns: '', ip: args };
}

/**
 * A scripted iproute2: `link show` answers from per-namespace queues (the last answer repeats), `link delete` answers from
 * `deletes`, everything else succeeds. `files` are the namespace files that exist.
 */
function world(options: {
  links: Record<string, Link[][]>;
  files?: string[];
  deletes?: Record<string, Partial<CommandResult>>;
  /** Answers `ip -batch -` runs by namespace and lines; default: the first line fails, so the step-by-step path runs. */
  batch?: (ns: string, lines: string[]) => Partial<CommandResult>;
}) {
  const runner = new FakeCommandRunner();
  const files = new Set(options.files ?? ['/var/run/netns/node1', POD]);
  const batch = options.batch ?? ((): Partial<CommandResult> => ({ exitCode: 1, stderr: 'Cannot find device "hn_0a0b0c0d"\nCommand failed -:1\n' }));
  const reply = (command: string) => (args: readonly string[], runOptions: { input?: string } | undefined): Partial<CommandResult> => {
    const { ns, ip } = split(command, args);
    if (ip.includes('-batch')) return batch(ns, (runOptions?.input ?? '').split('\n').filter((l) => l !== ''));
    if (ip.join(' ') === '-json -details link show') {
      if (!files.has(ns.startsWith('/') ? ns : `/var/run/netns/${ns}`) && ns !== '') {
        return { exitCode: 1, stderr: `Cannot open network namespace "${ns}": No such file or directory` };
      }
      const queue = options.links[ns] ?? [[lo]];
      return { stdout: JSON.stringify(queue.length > 1 ? queue.shift() : queue[0]) };
    }
    if (ip[0] === 'link' && ip[1] === 'delete') return options.deletes?.[`${ns}:${ip[3]}`] ?? NOT_FOUND;
    return { stdout: '' };
  };
  runner.on('ip', undefined, reply('ip')).on('nsenter', undefined, reply('nsenter'));
  const stat = async (path: string): Promise<unknown> => {
    if (!files.has(path)) throw enoent(path);
    return {};
  };
  const ops = new IpNetOps({ runner, stat, rootNetnsPath: '/proc/100/ns/net' });
  /** The single commands that change something (everything but link listings and batches). */
  const changes = (): string[] =>
    runner
      .argvs()
      .map((argv) => argv.join(' '))
      .filter((line) => !line.includes('link show') && !line.includes('-batch'));
  /** The batches run, as "<argv>: <line>; <line>…". */
  const batches = (): string[] => runner.calls.filter((c) => c.args.includes('-batch')).map((c) => `${[c.command, ...c.args].join(' ')}: ${(c.options?.input ?? '').trim().split('\n').join('; ')}`);
  return { runner, ops, files, changes, batches };
}

async function failure(promise: Promise<unknown>): Promise<NetOpsError> {
  const result = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isNetOpsError(result)) throw new Error(`expected a NetOpsError, got ${String(result)}`);
  return result;
}

describe('ipCommand', () => {
  it('runs plain ip in the root namespace, ip -n for names and nsenter --net= for paths', () => {
    expect(ipCommand(undefined, ['link', 'show'])).toEqual({ command: 'ip', args: ['link', 'show'] });
    expect(ipCommand({ kind: 'name', name: 'n1' }, ['link', 'show'])).toEqual({ command: 'ip', args: ['-n', 'n1', 'link', 'show'] });
    expect(ipCommand({ kind: 'path', path: '/proc/7/ns/net' }, ['link', 'show'])).toEqual({
      command: 'nsenter',
      args: ['--net=/proc/7/ns/net', '--', 'ip', 'link', 'show'],
    });
  });
});

describe('classifyIpFailure', () => {
  it.each([
    ['Cannot find device "eth9"', 'NotFound'],
    ['Cannot open network namespace "x": No such file or directory', 'NotFound'],
    ['nsenter: cannot open /var/run/netns/x: No such file or directory', 'NotFound'],
    ['RTNETLINK answers: File exists', 'AlreadyExists'],
    ['RTNETLINK answers: Device or resource busy', 'Busy'],
    ['RTNETLINK answers: Operation not permitted', 'Internal'],
  ])('classifies %j as %s', (stderr, kind) => {
    expect(classifyIpFailure(stderr)).toBe(kind);
  });
});

describe('IpNetOps.addPod', () => {
  it('moves and renames the NIC in one step, addresses it, routes it and wires the veth pair (the exact ip commands)', async () => {
    const { ops, changes } = world({
      links: {
        [POD]: [[lo], [lo, nic('eth0', true), veth('hostnic-v')]],
        node1: [[lo, nic('eth7', false)], [lo, veth(HN)]],
      },
    });

    const result = await ops.addPod(SPEC);

    expect(result.podInterface).toEqual({ name: 'eth0', mac: MAC, index: 7, up: true, kind: undefined });
    expect(result.hostVeth.name).toBe(HN);
    expect(result.podVeth.name).toBe('hostnic-v');
    const inPod = `nsenter --net=${POD} -- ip`;
    expect(changes()).toEqual([
      `ip -n node1 link set dev eth7 netns ${POD} name eth0`,
      `${inPod} addr flush dev eth0`,
      `${inPod} link set dev eth0 up`,
      `${inPod} addr add 192.168.1.10/24 dev eth0`,
      `${inPod} route replace default via 192.168.1.1 dev eth0`,
      `ip -n node1 link delete dev ${HN}`,
      `${inPod} link delete dev hostnic-v`,
      `ip -n node1 link add name ${HN} type veth peer name hostnic-v netns ${POD}`,
      `ip -n node1 addr replace 169.254.1.1/32 dev ${HN} scope link`,
      `ip -n node1 link set dev ${HN} up`,
      `ip -n node1 route replace 192.168.1.10/32 dev ${HN} scope link src 169.254.1.1`,
      `${inPod} link set dev hostnic-v up`,
      `${inPod} route replace 169.254.1.1/32 dev hostnic-v scope link`,
      `${inPod} route replace 10.96.0.0/12 via 169.254.1.1 dev hostnic-v`,
      `${inPod} route replace 192.168.0.5/32 via 169.254.1.1 dev hostnic-v`,
    ]);
  });

  it('sets an up NIC down before moving it, and names the root namespace by /proc/<pid>/ns/net when moving into it', async () => {
    const { ops, changes } = world({ links: { '': [[lo, nic('eth7', true)]], [POD]: [[lo]] } });

    await ops.addPod({ ...SPEC, hostNetns: undefined }).catch(() => undefined);

    expect(changes().slice(0, 2)).toEqual(['ip link set dev eth7 down', `ip link set dev eth7 netns ${POD} name eth0`]);
  });

  it('on a re-run finds the NIC already in the pod and only renames it when needed', async () => {
    const { ops, changes } = world({ links: { [POD]: [[lo, nic('tmp0', false)]], node1: [[lo]] } });

    await ops.addPod(SPEC).catch(() => undefined);

    expect(changes().slice(0, 2)).toEqual([`nsenter --net=${POD} -- ip link set dev tmp0 down`, `nsenter --net=${POD} -- ip link set dev tmp0 name eth0`]);
  });

  it('refuses with AlreadyExists when another link holds CNI_IFNAME in the pod', async () => {
    const { ops, changes } = world({ links: { [POD]: [[lo, { ...veth('eth0'), address: '0e:00:00:00:00:09' }]] } });

    const error = await failure(ops.addPod(SPEC));

    expect(error.kind).toBe('AlreadyExists');
    expect(error.message).toMatch(/already has an interface eth0.*CNI_IFNAME/);
    expect(changes()).toEqual([]);
  });

  it('fails with NotFound naming the NIC and both namespaces when the NIC is nowhere', async () => {
    const { ops } = world({ links: { [POD]: [[lo]], node1: [[lo]] } });

    const error = await failure(ops.addPod(SPEC));

    expect(error.kind).toBe('NotFound');
    expect(error.message).toContain(`NIC ${MAC} is neither in network namespace node1 nor in pod network namespace ${POD}`);
  });

  it('fails with NotFound before running anything when the pod netns does not exist', async () => {
    const { ops, runner } = world({ links: {}, files: ['/var/run/netns/node1'] });

    const error = await failure(ops.addPod(SPEC));

    expect(error.kind).toBe('NotFound');
    expect(error.message).toContain(`${POD} does not exist`);
    expect(runner.calls).toEqual([]);
  });

  it('rejects invalid input with InvalidArgument before running anything', async () => {
    const { ops, runner } = world({ links: {} });

    for (const bad of [{ ifName: 'a-very-long-ifname' }, { podNetns: '/var/run/../x' }, { nicMac: 'zz' }, { serviceCidrs: ['10.96.0.1/12'] }]) {
      expect((await failure(ops.addPod({ ...SPEC, ...bad }))).kind).toBe('InvalidArgument');
    }
    expect(runner.calls).toEqual([]);
  });

  it('maps a failing ip command to a NetOpsError naming the step, the namespace and the ip message, keeping the cause', async () => {
    const { runner } = world({ links: { [POD]: [[lo]], node1: [[lo, nic('eth7', false)]] } });
    const scripted = new FakeCommandRunner()
      .on('ip', (args) => args.includes('netns') && args.includes('name'), { exitCode: 2, stderr: 'RTNETLINK answers: File exists\n' })
      .on('ip', undefined, (args) => runner.run('ip', args))
      .on('nsenter', undefined, (args) => runner.run('nsenter', args));
    const failingOps = new IpNetOps({ runner: scripted, stat: async () => ({}) });

    const error = await failure(failingOps.addPod(SPEC));

    expect(error.kind).toBe('AlreadyExists');
    expect(error.code).toBe('NET_ALREADY_EXISTS');
    expect(error.message).toBe(
      `moving NIC ${MAC} into pod network namespace ${POD} as eth0 failed in network namespace node1: RTNETLINK answers: File exists; another link already holds that name or address; remove it or choose another name`,
    );
    expect(error.cause).toBeInstanceOf(CommandFailedError);
  });

  it('reports a missing tool as Internal with the package to install', async () => {
    const runner = new FakeCommandRunner().on('ip', undefined, { reject: new Error('spawn ip ENOENT') });
    const ops = new IpNetOps({ runner });

    const error = await failure(ops.listLinks());

    expect(error.kind).toBe('Internal');
    expect(error.message).toMatch(/spawn ip ENOENT; is iproute2 installed\?/);
  });
});

describe('IpNetOps.delPod', () => {
  const DEL = { containerId: 'ctr1', podNetns: POD, nicMac: MAC, hostNetns: 'node1' };

  it('sets the NIC down, flushes it, moves it back under its stable name and deletes the veth pair', async () => {
    const { ops, changes } = world({
      links: { [POD]: [[lo, nic('eth0', true), veth('hostnic-v')]], node1: [[lo, { ...nic('hn_0a0b0c0d', false) }, veth(HN)]] },
      deletes: { [`node1:${HN}`]: { exitCode: 0 } },
    });

    expect(await ops.delPod(DEL)).toEqual({ nic: 'returned', hostName: 'hn_0a0b0c0d', hostVethRemoved: true });

    const inPod = `nsenter --net=${POD} -- ip`;
    expect(changes()).toEqual([
      `${inPod} link set dev eth0 down`,
      `${inPod} addr flush dev eth0`,
      `${inPod} link set dev eth0 netns /var/run/netns/node1 name hn_0a0b0c0d`,
      'ip -n node1 addr flush dev hn_0a0b0c0d',
      `ip -n node1 link delete dev ${HN}`,
      `${inPod} link delete dev hostnic-v`,
    ]);
  });

  it('moves the NIC into the root namespace through /proc/<pid>/ns/net when no host netns is given', async () => {
    const { ops, changes } = world({ links: { [POD]: [[lo, nic('eth0', false)]], '': [[lo]] } });

    await ops.delPod({ ...DEL, hostNetns: undefined });

    expect(changes()).toContain(`nsenter --net=${POD} -- ip link set dev eth0 netns /proc/100/ns/net name hn_0a0b0c0d`);
  });

  it('succeeds when the pod netns, the NIC and the veth are all gone', async () => {
    const { ops, changes } = world({ links: { node1: [[lo]] }, files: ['/var/run/netns/node1'] });

    expect(await ops.delPod(DEL)).toEqual({ nic: 'not-found', hostVethRemoved: false });
    expect(await ops.delPod({ ...DEL, podNetns: '' })).toEqual({ nic: 'not-found', hostVethRemoved: false });
    expect(changes()).toEqual([`ip -n node1 link delete dev ${HN}`, `ip -n node1 link delete dev ${HN}`]);
  });

  it('succeeds when the pod netns vanishes in the middle of DEL', async () => {
    const { runner, files } = world({ links: { node1: [[lo]] } });
    // the namespace exists when DEL starts, then the runtime removes it before ip can enter it
    const stat = async (path: string): Promise<unknown> => {
      if (!files.has(path)) throw enoent(path);
      if (path === POD) files.delete(POD);
      return {};
    };
    const ops = new IpNetOps({ runner, stat });

    expect(await ops.delPod(DEL)).toEqual({ nic: 'not-found', hostVethRemoved: false });
  });

  it('tidies a NIC already back in the host: down, flushed, stable name', async () => {
    const { ops, changes } = world({ links: { node1: [[lo, nic('eth0', true)]] }, files: ['/var/run/netns/node1'] });

    expect(await ops.delPod(DEL)).toEqual({ nic: 'already-in-host', hostName: 'hn_0a0b0c0d', hostVethRemoved: false });
    expect(changes()).toEqual([
      'ip -n node1 link set dev eth0 down',
      'ip -n node1 addr flush dev eth0',
      'ip -n node1 link set dev eth0 name hn_0a0b0c0d',
      `ip -n node1 link delete dev ${HN}`,
    ]);
  });

  it('fails with NotFound when the given host netns does not exist (a wrong host is not "already deleted")', async () => {
    const { ops } = world({ links: {}, files: [POD] });

    expect((await failure(ops.delPod(DEL))).kind).toBe('NotFound');
  });

  it('surfaces a veth deletion that fails for another reason', async () => {
    const { ops } = world({ links: { node1: [[lo]] }, files: ['/var/run/netns/node1'], deletes: { [`node1:${HN}`]: { exitCode: 2, stderr: 'RTNETLINK answers: Device or resource busy' } } });

    const error = await failure(ops.delPod(DEL));

    expect(error.kind).toBe('Busy');
    expect(error.message).toContain(`deleting link ${HN} failed in network namespace node1`);
  });
});

describe('IpNetOps lookups', () => {
  it('finds a link by MAC case-insensitively and says undefined when none matches', async () => {
    const { ops } = world({ links: { node1: [[lo, nic('eth7', false)]] } });

    expect(await ops.findLinkByMac('52:54:0A:0B:0C:0D', 'node1')).toMatchObject({ name: 'eth7', mac: MAC, up: false });
    expect(await ops.findLinkByMac('52:54:00:00:00:01', 'node1')).toBeUndefined();
  });

  it('throws NotFound listing the links of a namespace that does not exist', async () => {
    const { ops } = world({ links: {}, files: [] });

    expect((await failure(ops.listLinks('gone'))).kind).toBe('NotFound');
  });

  it('answers linkExists from the exit status of ip link show', async () => {
    const runner = new FakeCommandRunner()
      .on('ip', ['-n', 'node1', 'link', 'show', 'dev', 'eth0'], { exitCode: 0 })
      .on('ip', ['-n', 'node1', 'link', 'show', 'dev', 'eth1'], NOT_FOUND);
    const ops = new IpNetOps({ runner });

    expect(await ops.linkExists('eth0', 'node1')).toBe(true);
    expect(await ops.linkExists('eth1', 'node1')).toBe(false);
  });

  it('checks namespace existence with stat under /var/run/netns for names', async () => {
    const seen: string[] = [];
    const ops = new IpNetOps({
      runner: new FakeCommandRunner(),
      stat: async (path) => {
        seen.push(path);
        if (path !== '/var/run/netns/a') throw enoent(path);
        return {};
      },
    });

    expect(await ops.netnsExists('a')).toBe(true);
    expect(await ops.netnsExists('/proc/9/ns/net')).toBe(false);
    expect(seen).toEqual(['/var/run/netns/a', '/proc/9/ns/net']);
  });
});

describe('IpNetOps.checkPod', () => {
  it('reports a missing pod netns as a problem, not an error', async () => {
    const { ops } = world({ links: {}, files: ['/var/run/netns/node1'] });

    expect(await ops.checkPod(SPEC)).toEqual([`pod network namespace ${POD} does not exist`]);
  });

  it('reads links, addresses and main-table IPv4 routes of both namespaces', async () => {
    const runner = new FakeCommandRunner().on('ip', undefined, { stdout: '[]' }).on('nsenter', undefined, { stdout: '[]' });
    const ops = new IpNetOps({ runner, stat: async () => ({}) });

    const problems = await ops.checkPod(SPEC);

    expect(problems).toContain('NIC 52:54:0a:0b:0c:0d is not in the pod netns (no interface eth0)');
    expect(runner.argvs().map((a) => a.join(' '))).toEqual([
      `nsenter --net=${POD} -- ip -json -details link show`,
      `nsenter --net=${POD} -- ip -json addr show`,
      `nsenter --net=${POD} -- ip -json -4 route show table main`,
      'ip -n node1 -json -details link show',
      'ip -n node1 -json addr show',
      'ip -n node1 -json -4 route show table main',
    ]);
  });
});

describe('IpNetOps fast paths (ip -batch)', () => {
  const inPod = `nsenter --net=${POD} -- ip -json -details -batch -`;
  const inHost = 'ip -n node1 -json -details -batch -';
  const show = (link: Link): string => JSON.stringify([link]);
  /** A kernel where every batch succeeds and `link show` lines print the given links. */
  const succeeding =
    (shown: Record<string, Link>) =>
    (_ns: string, lines: string[]): Partial<CommandResult> => ({
      stdout: lines
        .filter((l) => l.startsWith('link show dev '))
        .map((l) => show(shown[l.slice('link show dev '.length)]!))
        .join('\n'),
    });

  it('ADD: one batch in the host (move by the known name, veth, host route) and one in the pod (address, routes), no listing', async () => {
    const { ops, runner, batches, changes } = world({
      links: {},
      batch: succeeding({ [HN]: veth(HN), eth0: nic('eth0', true), 'hostnic-v': veth('hostnic-v') }),
    });

    const result = await ops.addPod({ ...SPEC, nicName: 'eth7' });

    expect(result.podInterface).toEqual({ name: 'eth0', mac: MAC, index: 7, up: true, kind: undefined });
    expect(result.hostVeth.name).toBe(HN);
    expect(result.podVeth.name).toBe('hostnic-v');
    expect(batches()).toEqual([
      `${inHost}: link set dev eth7 down; link set dev eth7 netns ${POD} name eth0; link add name ${HN} type veth peer name hostnic-v netns ${POD}; ` +
        `addr replace 169.254.1.1/32 dev ${HN} scope link; link set dev ${HN} up; route replace 192.168.1.10/32 dev ${HN} scope link src 169.254.1.1; link show dev ${HN}`,
      `${inPod}: addr flush dev eth0; link set dev eth0 up; addr add 192.168.1.10/24 dev eth0; route replace default via 192.168.1.1 dev eth0; ` +
        'link set dev hostnic-v up; route replace 169.254.1.1/32 dev hostnic-v scope link; route replace 10.96.0.0/12 via 169.254.1.1 dev hostnic-v; ' +
        'route replace 192.168.0.5/32 via 169.254.1.1 dev hostnic-v; link show dev eth0; link show dev hostnic-v',
    ]);
    expect(changes()).toEqual([]);
    expect(runner.calls).toHaveLength(2);
  });

  it('ADD: starts the pod side while the host side runs and hands it its lines once the host side succeeded', async () => {
    const answered: string[] = [];
    let podStartedDuringHost = false;
    const { ops, runner } = world({
      links: {},
      batch: (ns, lines) => {
        if (ns === 'node1') podStartedDuringHost = runner.calls.some((c) => c.command === 'nsenter' && c.args.includes('-batch'));
        answered.push(`${ns}: ${lines.length} lines`);
        return succeeding({ [HN]: veth(HN), eth0: nic('eth0', true), 'hostnic-v': veth('hostnic-v') })(ns, lines);
      },
    });

    await ops.addPod(SPEC);

    expect(podStartedDuringHost).toBe(true);
    expect(answered).toEqual(['node1: 7 lines', `${POD}: 10 lines`]);
  });

  it('ADD and DEL change nothing when what they wait for (the checkpoint) fails, and reject with its reason', async () => {
    const { ops, batches, changes } = world({
      links: { [POD]: [[lo, nic('eth0', true), veth('hostnic-v')]] },
      batch: succeeding({ [HN]: veth(HN), eth0: nic('eth0', true), 'hostnic-v': veth('hostnic-v') }),
    });

    await expect(ops.addPod(SPEC, { after: Promise.reject(new Error('checkpoint failed')) })).rejects.toThrow('checkpoint failed');
    await expect(ops.delPod({ containerId: 'ctr1', podNetns: POD, nicMac: MAC, hostNetns: 'node1' }, { after: Promise.reject(new Error('checkpoint failed')) })).rejects.toThrow('checkpoint failed');

    expect(batches()).toEqual([`${inHost}: `, `${inPod}: `]); // ADD's pod side is not even started
    expect(changes()).toEqual([]);
  });

  it('ADD: without a known name it moves the NIC by its stable name (the one DEL gives it)', async () => {
    const { ops, batches } = world({ links: {}, batch: succeeding({ [HN]: veth(HN), eth0: nic('eth0', true), 'hostnic-v': veth('hostnic-v') }) });

    await ops.addPod(SPEC);

    expect(batches()[0]).toContain(`link set dev hn_0a0b0c0d netns ${POD} name eth0`);
  });

  it('ADD: a failing host batch hands over to the step-by-step ADD, which finishes from where it stopped', async () => {
    const { ops, changes, batches } = world({
      links: { [POD]: [[lo, nic('eth0', false)], [lo, nic('eth0', true), veth('hostnic-v')]], node1: [[lo, veth(HN)]] },
      // the NIC moved, then the veth name was taken by a leftover of an earlier attempt
      batch: (ns) => (ns === 'node1' ? { exitCode: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:3\n' } : { stdout: '' }),
    });

    const result = await ops.addPod(SPEC);

    expect(result.podInterface.name).toBe('eth0');
    expect(batches()).toContain(`${inPod}: `); // the pod side, already started, got no lines
    expect(changes()).toContain(`ip -n node1 link delete dev ${HN}`);
    expect(changes()).toContain(`ip -n node1 link add name ${HN} type veth peer name hostnic-v netns ${POD}`);
  });

  it('ADD: when the known name moved another link, gives that link back under its name and goes step by step', async () => {
    const other: Link = { ...nic('eth0', true), address: '52:54:99:99:99:99' };
    const { ops, changes } = world({
      links: { [POD]: [[lo], [lo, nic('eth0', true), veth('hostnic-v')]], node1: [[lo, nic('eth8', false)], [lo, veth(HN)]] },
      batch: succeeding({ [HN]: veth(HN), eth0: other, 'hostnic-v': veth('hostnic-v') }),
    });

    const result = await ops.addPod({ ...SPEC, nicName: 'eth7' });

    expect(result.podInterface.mac).toBe(MAC);
    expect(changes()[0]).toBe(`nsenter --net=${POD} -- ip link set dev eth0 netns /var/run/netns/node1 name eth7`);
    expect(changes()).toContain(`ip -n node1 link set dev eth8 netns ${POD} name eth0`);
  });

  it('DEL: reads the pod links once, then one batch in the pod returns the NIC and deletes the veth pair by its pod end', async () => {
    const { ops, batches, changes } = world({ links: { [POD]: [[lo, nic('eth0', true), veth('hostnic-v')]] }, batch: () => ({ stdout: '' }) });

    expect(await ops.delPod({ containerId: 'ctr1', podNetns: POD, nicMac: MAC, hostNetns: 'node1' })).toEqual({ nic: 'returned', hostName: 'hn_0a0b0c0d', hostVethRemoved: true });

    expect(batches()).toEqual([
      `${inPod}: link set dev eth0 down; addr flush dev eth0; link set dev eth0 netns /var/run/netns/node1 name hn_0a0b0c0d; link delete dev hostnic-v`,
    ]);
    expect(changes()).toEqual([]);
  });

  it('DEL: the batch started alongside the listing runs nothing when the NIC is not in the pod', async () => {
    const { ops, batches } = world({ links: { [POD]: [[lo, veth('hostnic-v')]], node1: [[lo, nic('hn_0a0b0c0d', false)]] }, batch: () => ({ stdout: '' }), deletes: { [`node1:${HN}`]: { exitCode: 0 } } });

    expect(await ops.delPod({ containerId: 'ctr1', podNetns: POD, nicMac: MAC, hostNetns: 'node1' })).toMatchObject({ nic: 'already-in-host', hostName: 'hn_0a0b0c0d' });
    expect(batches()).toEqual([`${inPod}: `]);
  });

  it('DEL: a pod without its veth end still returns the NIC and deletes a leftover host end', async () => {
    const { ops, changes } = world({
      links: { [POD]: [[lo, nic('eth0', true)]] },
      batch: () => ({ exitCode: 1, stderr: 'Cannot find device "hostnic-v"\nCommand failed -:4\n' }),
      deletes: { [`node1:${HN}`]: { exitCode: 0 } },
    });

    expect(await ops.delPod({ containerId: 'ctr1', podNetns: POD, nicMac: MAC, hostNetns: 'node1' })).toEqual({ nic: 'returned', hostName: 'hn_0a0b0c0d', hostVethRemoved: true });
    expect(changes()).toEqual([`ip -n node1 link delete dev ${HN}`]);
  });
});
