import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDaemonConfig, type DaemonConfig } from '../../../src/cni/daemon/config.js';
import { parseConfig } from '../../../src/cni/plugin/config.js';
import { parseConfigYaml } from '../../../src/qingcloud/config.js';
import { copyParts, parseDockerfile } from '../image/dockerfile.js';
import { validateStream } from './k8s-validate.js';
import { ChartRenderer, REPO_ROOT, container, findOne, mountFor, podContainers, volume, type K8sObject } from './render.js';

const CHART = 'hostnic';
const CREDENTIALS = 'hostnic-credentials.yaml';
const CUSTOM = 'hostnic-custom.yaml';
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const values = parseYaml(readFileSync(join(REPO_ROOT, 'charts', CHART, 'values.yaml'), 'utf8')) as Record<string, any>;
const custom = parseYaml(readFileSync(join(REPO_ROOT, 'test/unit/charts/fixtures', CUSTOM), 'utf8')) as Record<string, any>;

let renderer: ChartRenderer;
let defaults: K8sObject[];
let customised: K8sObject[];

beforeAll(async () => {
  renderer = await ChartRenderer.build();
  defaults = await renderer.render(CHART, [CREDENTIALS]);
  customised = await renderer.render(CHART, [CREDENTIALS, CUSTOM], { namespace: 'network', releaseName: 'pods' });
}, 180_000);

afterAll(async () => {
  await renderer?.close();
});

const daemonSet = (objects: K8sObject[]): K8sObject => findOne(objects, 'DaemonSet');
const configMap = (objects: K8sObject[]): K8sObject => findOne(objects, 'ConfigMap');
const daemonConfigOf = (objects: K8sObject[]): DaemonConfig => parseDaemonConfig(configMap(objects).data['hostnic.yaml'] as string);
/** The conflist the init container installs: the ConfigMap key it copies. */
function conflistOf(objects: K8sObject[]): { name: string; list: Record<string, any> } {
  const init = container(daemonSet(objects), 'install-cni');
  const name = (init.env as K8sObject[]).find((e) => e.name === 'CONF_NAME')!.value as string;
  return { name, list: JSON.parse(configMap(objects).data[name] as string) as Record<string, any> };
}
/** The host path behind a container path, through the pod's hostPath volumes. */
function hostPathOf(workload: K8sObject, c: K8sObject, path: string): string | undefined {
  const m = mountFor(c, path);
  const hp = m === undefined ? undefined : volume(workload, m.name).hostPath;
  return hp === undefined ? undefined : `${String(hp.path).replace(/\/$/, '')}${m!.rest}`;
}

describe('hostnic chart', () => {
  it('refuses to render without vxnets or credentials, naming the values to set', async () => {
    const bare = await renderer.run(CHART);
    expect(bare.exitCode).not.toBe(0);
    expect(bare.stderr).toMatch(/config\.vxnets is required|qingcloud\.accessKeyId is required/);
    const noVxnets = await renderer.run(CHART, ['csi-credentials.yaml']);
    expect(noVxnets.exitCode).not.toBe(0);
    expect(noVxnets.stderr).toContain('config.vxnets is required');
  });

  it('refuses more pods plus warm NICs than an instance holds', async () => {
    const result = await renderer.run(CHART, [CREDENTIALS, join(REPO_ROOT, 'test/unit/charts/fixtures/hostnic-too-many-pods.yaml')]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('exceed the 63 secondary NICs');
  });

  it('renders its defaults (plus credentials and vxnets) and a customised values file into valid objects', () => {
    expect(validateStream(defaults)).toEqual([]);
    expect(validateStream(customised, ['Secret/qc-credentials', 'ServiceAccount/hostnic-agent'])).toEqual([]);
    expect(defaults.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/qc-hostnic',
      'DaemonSet/qc-hostnic',
      'Secret/qc-hostnic-qingcloud',
      'ServiceAccount/qc-hostnic',
    ]);
    expect(customised.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'DaemonSet']);
  });

  it('renders a hostnic.yaml the daemon parses, with the values asked for', () => {
    expect(daemonConfigOf(defaults)).toMatchObject({
      vxnets: ['vxnet-abc12345'],
      pool: values.config.pool,
      maxPods: values.config.maxPods,
      serviceCIDR: values.config.serviceCIDR,
      socket: values.config.socket,
      stateDir: values.config.stateDir,
      metricsAddress: { host: '0.0.0.0', port: 9273 },
      hostNetns: undefined,
      logLevel: 'info',
    });
    expect(daemonConfigOf(defaults).apiRate).toBeUndefined();
    expect(daemonConfigOf(customised)).toMatchObject({
      vxnets: custom.config.vxnets,
      pool: custom.config.pool,
      maxPods: 40,
      serviceCIDR: '10.233.0.0/18',
      socket: '/var/run/qc-hostnic/daemon.sock',
      stateDir: '/data/hostnic',
      metricsAddress: { host: '127.0.0.1', port: 9300 },
      hostNetns: 'nic-landing',
      logLevel: 'debug',
      orphanAgeSeconds: 1200,
      apiRate: 2,
      apiBurst: 50,
    });
  });

  it('runs the daemon on the host network with the config file it is given', () => {
    for (const objects of [defaults, customised]) {
      const ds = daemonSet(objects);
      const daemon = container(ds, 'hostnic-daemon');
      expect(daemon.command).toEqual(['hostnic-daemon']);
      expect(daemon.args).toEqual(['--config', '/etc/hostnic/hostnic.yaml']);
      const m = mountFor(daemon, '/etc/hostnic/hostnic.yaml')!;
      expect(volume(ds, m.name).configMap.name).toBe(configMap(objects).metadata.name);
      expect(ds.spec.template.spec).toMatchObject({ hostNetwork: true, priorityClassName: 'system-node-critical' });
      expect(daemon.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    }
    expect(daemonSet(customised).spec.template.spec.hostPID).toBe(true);
    expect(daemonSet(defaults).spec.template.spec.hostPID).toBe(false);
  });

  it('installs a conflist the plugin parses, naming the socket the daemon serves', () => {
    for (const objects of [defaults, customised]) {
      const { list } = conflistOf(objects);
      const daemon = daemonConfigOf(objects);
      const [hostnic, ...rest] = list.plugins as Record<string, unknown>[];
      // The runtime hands each plugin its object with the list's cniVersion and name.
      const parsed = parseConfig({ ...hostnic, cniVersion: list.cniVersion, name: list.name }, 'ADD');
      expect(parsed.type).toBe('hostnic');
      expect(parsed.socketPath).toBe(daemon.socket);
      expect(parsed.serviceCIDR).toBe(daemon.serviceCIDR);
      expect(list.cniVersion).toBe('1.1.0');
      if (objects === defaults) {
        expect(list.name).toBe('hostnic');
        expect(parsed.debug).toBe(false);
        expect(rest).toEqual([{ type: 'portmap', capabilities: { portMappings: true } }]);
      } else {
        expect(list.name).toBe('qc-pods');
        expect(parsed.debug).toBe(true);
        expect(rest).toEqual([]);
      }
    }
    expect(conflistOf(defaults).name).toBe('10-hostnic.conflist');
    expect(conflistOf(customised).name).toBe('05-hostnic.conflist');
  });

  it('shares the daemon socket directory and state with the host at the paths the plugin and daemon use', () => {
    for (const objects of [defaults, customised]) {
      const ds = daemonSet(objects);
      const daemon = container(ds, 'hostnic-daemon');
      const config = daemonConfigOf(objects);
      // The plugin runs on the host and dials the same path the daemon listens on in the container.
      expect(hostPathOf(ds, daemon, config.socket)).toBe(config.socket);
      expect(mountFor(daemon, config.socket)!.mountPath).toBe(dirname(config.socket));
      expect(hostPathOf(ds, daemon, config.stateDir)).toBe(config.stateDir);
      const netns = (daemon.volumeMounts as K8sObject[]).find((m) => m.mountPath === '/var/run/netns')!;
      expect(netns.mountPropagation).toBe('HostToContainer');
      expect(volume(ds, netns.name).hostPath.path).toBe('/var/run/netns');
      const id = mountFor(daemon, config.instanceIdFile)!;
      expect(id.rest).toBe('');
      expect((daemon.volumeMounts as K8sObject[]).find((m) => m.name === id.name)!.readOnly).toBe(true);
      expect(volume(ds, id.name).hostPath).toEqual({ path: '/etc/qingcloud/instance-id', type: 'File' });
      expect(daemon.readinessProbe.exec.command).toEqual(['test', '-S', config.socket]);
    }
  });

  it('mounts the credentials the daemon config points at, as an SDK config.yaml', () => {
    const ds = daemonSet(defaults);
    const daemon = container(ds, 'hostnic-daemon');
    const m = mountFor(daemon, daemonConfigOf(defaults).qingcloudConfig)!;
    const secret = findOne(defaults, 'Secret');
    expect(volume(ds, m.name).secret.secretName).toBe(secret.metadata.name);
    expect(parseConfigYaml(secret.stringData['config.yaml'] as string)).toMatchObject({ accessKeyId: 'QYACCESSKEYIDEXAMPLE', zone: 'pek3a' });
    expect(volume(daemonSet(customised), m.name).secret.secretName).toBe('qc-credentials');
    expect(container(ds, 'install-cni').volumeMounts.some((x: K8sObject) => x.name === m.name)).toBe(false);
  });

  it('installs the plugin binary from the image and the conflist into the host CNI directories', () => {
    const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const shipped = dockerfile.stages.at(-1)!.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i).dest);
    for (const [objects, binDir, confDir] of [
      [defaults, '/opt/cni/bin', '/etc/cni/net.d'],
      [customised, '/usr/libexec/cni', '/etc/cni/custom.d'],
    ] as const) {
      const ds = daemonSet(objects);
      const init = container(ds, 'install-cni');
      const script = (init.command as string[]).join(' ');
      const source = /install -m 0755 (\S+) (\S+)\/\.hostnic\.tmp/.exec(script)!;
      expect(shipped).toContain(source[1]);
      expect(hostPathOf(ds, init, source[2]!)).toBe(binDir);
      expect(script).toContain(`mv -f ${source[2]!}/.hostnic.tmp ${source[2]!}/hostnic`);
      const conf = /mv -f "(\S+)\/\.\$CONF_NAME\.tmp" "\1\/\$CONF_NAME"/.exec(script)!;
      expect(hostPathOf(ds, init, conf[1]!)).toBe(confDir);
      expect(volume(ds, mountFor(init, '/etc/hostnic/x')!.name).configMap.name).toBe(configMap(objects).metadata.name);
    }
  });

  it('declares the metrics port the daemon listens on', () => {
    const port = (objects: K8sObject[]) => container(daemonSet(objects), 'hostnic-daemon').ports?.[0]?.containerPort as number | undefined;
    expect(port(defaults)).toBe(daemonConfigOf(defaults).metricsAddress!.port);
    expect(port(customised)).toBe(9300);
  });

  it('gives the daemon a ServiceAccount without an API token and no roles', () => {
    const sa = findOne(defaults, 'ServiceAccount');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(daemonSet(defaults).spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(defaults.filter((o) => /Role/.test(o.kind as string))).toEqual([]);
    expect(daemonSet(customised).spec.template.spec.serviceAccountName).toBe('hostnic-agent');
  });

  it('takes the image from values: the chart appVersion (the package version) by default, or a digest', () => {
    const chart = parseYaml(readFileSync(join(REPO_ROOT, 'charts', CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: CHART, version: '0.1.0', appVersion: pkg.version });
    for (const c of podContainers(daemonSet(defaults))) expect(c.image).toBe(`${values.image.repository}:${pkg.version}`);
    for (const c of podContainers(daemonSet(customised))) expect(c.image).toBe(`${custom.image.repository}@${custom.image.digest}`);
  });

  it('applies scheduling and resources from values', () => {
    expect(daemonSet(defaults).spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(daemonSet(customised).spec.template.spec.tolerations).toEqual(custom.tolerations);
    expect(container(daemonSet(defaults), 'hostnic-daemon').resources).toEqual(values.resources);
    expect(container(daemonSet(defaults), 'install-cni').resources).toEqual(values.initResources);
  });

  it('tells in its notes that kubelet --max-pods must not exceed maxPods', async () => {
    for (const [files, maxPods] of [
      [[CREDENTIALS], 60],
      [[CREDENTIALS, CUSTOM], 40],
    ] as const) {
      const notes = await renderer.run(CHART, files, { notes: true });
      expect(notes.exitCode).toBe(0);
      expect(notes.stdout).toContain('--max-pods');
      expect(notes.stdout).toContain(`must not exceed maxPods=${maxPods}`);
    }
  });
});
