import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsiArgs } from '../../../src/csi/cli.js';
import { parseVolumeParams } from '../../../src/csi/params.js';
import { parseConfigYaml } from '../../../src/qingcloud/config.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';
import { parseDockerfile } from '../image/dockerfile.js';
import { validateStream } from './k8s-validate.js';
import { ChartRenderer, REPO_ROOT, container, findOne, flagValue, mountFor, podContainers, volume, type K8sObject } from './render.js';

const CHART = 'qingcloud-csi';
const CREDENTIALS = 'csi-credentials.yaml';
const CUSTOM = 'csi-custom.yaml';
const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const values = parseYaml(readFileSync(join(REPO_ROOT, 'charts', CHART, 'values.yaml'), 'utf8')) as Record<string, any>;
const custom = parseYaml(readFileSync(join(REPO_ROOT, 'test/unit/charts/fixtures', CUSTOM), 'utf8')) as Record<string, any>;

let renderer: ChartRenderer;
let defaults: K8sObject[];
let customised: K8sObject[];

beforeAll(async () => {
  renderer = await ChartRenderer.build();
  defaults = await renderer.render(CHART, [CREDENTIALS]);
  customised = await renderer.render(CHART, [CREDENTIALS, CUSTOM], { namespace: 'storage', releaseName: 'disk' });
}, 180_000);

afterAll(async () => {
  await renderer?.close();
});

const controllerOf = (objects: K8sObject[]): K8sObject => findOne(objects, 'Deployment');
const nodeOf = (objects: K8sObject[]): K8sObject => findOne(objects, 'DaemonSet');
const socketPathOf = (endpoint: string | undefined): string => {
  expect(endpoint).toMatch(/^unix:\/\/\//);
  return endpoint!.slice('unix://'.length);
};
/** The host path behind a container path, through the pod's hostPath volumes. */
function hostPathOf(workload: K8sObject, c: K8sObject, path: string): string | undefined {
  const m = mountFor(c, path);
  if (m === undefined) return undefined;
  const hp = volume(workload, m.name).hostPath;
  return hp === undefined ? undefined : posix.join(hp.path, m.rest);
}

describe('qingcloud-csi chart', () => {
  it('refuses to render without QingCloud credentials, naming the values to set', async () => {
    const result = await renderer.run(CHART);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('qingcloud.accessKeyId is required');
    expect(result.stderr).toContain('qingcloud.existingSecret');
  });

  it('renders its defaults (plus credentials) and a customised values file into valid objects', () => {
    expect(validateStream(defaults)).toEqual([]);
    expect(validateStream(customised, ['Secret/qc-credentials', 'PriorityClass/qingcloud-critical'])).toEqual([]);
    expect(defaults.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'CSIDriver/disk.csi.qingcloud.com',
      'ClusterRole/qc-qingcloud-csi-controller',
      'ClusterRoleBinding/qc-qingcloud-csi-controller',
      'DaemonSet/qc-qingcloud-csi-node',
      'Deployment/qc-qingcloud-csi-controller',
      'Role/qc-qingcloud-csi-leader-election',
      'RoleBinding/qc-qingcloud-csi-leader-election',
      'Secret/qc-qingcloud-csi-config',
      'ServiceAccount/qc-qingcloud-csi-controller',
      'ServiceAccount/qc-qingcloud-csi-node',
      'StorageClass/qingcloud-storageclass',
      'StorageClass/qingcloud-storageclass-capacity',
      'VolumeSnapshotClass/qingcloud-snapshotclass',
    ]);
    expect(customised.filter((o) => o.kind === 'Secret' || o.kind === 'VolumeSnapshotClass')).toEqual([]);
  });

  it('declares the CSIDriver the driver needs: attach required, pod info on mount, fsGroup applied to files', () => {
    expect(findOne(defaults, 'CSIDriver').spec).toEqual({ attachRequired: true, podInfoOnMount: true, fsGroupPolicy: 'File', volumeLifecycleModes: ['Persistent'] });
  });

  it('names the driver the same everywhere: CSIDriver, classes, both plugins and the registration path', () => {
    for (const objects of [defaults, customised]) {
      const name = findOne(objects, 'CSIDriver').metadata.name;
      expect(name).toBe(values.driverName);
      for (const sc of objects.filter((o) => o.kind === 'StorageClass')) expect(sc.provisioner).toBe(name);
      for (const vsc of objects.filter((o) => o.kind === 'VolumeSnapshotClass')) expect(vsc.driver).toBe(name);
      expect(flagValue(container(controllerOf(objects), 'qingcloud-csi'), '--driver-name')).toBe(name);
      expect(flagValue(container(nodeOf(objects), 'qingcloud-csi'), '--driver-name')).toBe(name);
      expect(flagValue(container(nodeOf(objects), 'node-driver-registrar'), '--kubelet-registration-path')).toContain(`/plugins/${name}/`);
    }
  });

  it('runs the controller driver with its config from the Secret, and every sidecar on the driver socket', () => {
    for (const objects of [defaults, customised]) {
      const deployment = controllerOf(objects);
      const driver = container(deployment, 'qingcloud-csi');
      expect(driver.command).toEqual(['qingcloud-csi']);
      expect(flagValue(driver, '--mode')).toBe('controller');
      expect(flagValue(driver, '--config')).toBe('/etc/qingcloud/config.yaml');
      const config = mountFor(driver, '/etc/qingcloud/config.yaml')!;
      expect(volume(deployment, config.name).secret).toBeDefined();
      const socket = socketPathOf(flagValue(driver, '--endpoint'));
      const socketMount = mountFor(driver, socket)!;
      expect(volume(deployment, socketMount.name).emptyDir).toBeDefined();
      const sidecars = podContainers(deployment).filter((c) => c.name !== 'qingcloud-csi');
      expect(sidecars.map((c) => c.name).sort()).toEqual(['csi-attacher', 'csi-provisioner', 'csi-resizer', 'csi-snapshotter', 'liveness-probe']);
      for (const sidecar of sidecars) {
        const address = flagValue(sidecar, '--csi-address')!;
        // Same volume, same path inside it: the sidecar dials the socket the driver serves.
        const m = mountFor(sidecar, address);
        expect(m, `${String(sidecar.name)} mounts ${address}`).toEqual(socketMount);
        if (sidecar.name !== 'liveness-probe') {
          expect((sidecar.args as string[]).includes('--leader-election'), `${String(sidecar.name)} elects a leader`).toBe(true);
          expect(flagValue(sidecar, '--leader-election-namespace')).toBe(deployment.metadata.namespace);
        }
      }
    }
    expect(controllerOf(defaults).spec.replicas).toBe(1);
    expect(controllerOf(customised).spec.replicas).toBe(2);
  });

  it('gives the provisioner topology, PVC metadata, ext4 by default and a short timeout the driver tolerates', () => {
    const provisioner = container(controllerOf(defaults), 'csi-provisioner');
    const args = provisioner.args as string[];
    expect(args).toEqual(expect.arrayContaining(['--feature-gates=Topology=true', '--extra-create-metadata', '--default-fstype=ext4', '--volume-name-prefix=pvc']));
    expect(flagValue(provisioner, '--timeout')).toBe('60s');
    const customArgs = container(controllerOf(customised), 'csi-provisioner').args as string[];
    expect(customArgs).toEqual(expect.arrayContaining(['--timeout=45s', '--worker-threads=20']));
    for (const name of ['csi-attacher', 'csi-resizer', 'csi-snapshotter']) expect(flagValue(container(controllerOf(defaults), name), '--timeout')).toBe('60s');
  });

  it('registers the node plugin where kubelet finds it: registrar, driver socket and host paths agree', () => {
    for (const [objects, kubeletDir] of [
      [defaults, '/var/lib/kubelet'],
      [customised, '/var/snap/microk8s/common/var/lib/kubelet'],
    ] as const) {
      const ds = nodeOf(objects);
      const driver = container(ds, 'qingcloud-csi');
      const registrar = container(ds, 'node-driver-registrar');
      const socket = socketPathOf(flagValue(driver, '--endpoint'));
      // The registrar dials the driver in-pod and tells kubelet the host path of the same socket.
      expect(mountFor(registrar, flagValue(registrar, '--csi-address')!)).toEqual(mountFor(driver, socket));
      const hostSocket = hostPathOf(ds, driver, socket);
      expect(hostSocket).toBe(`${kubeletDir}/plugins/${values.driverName}/csi.sock`);
      expect(flagValue(registrar, '--kubelet-registration-path')).toBe(hostSocket);
      expect(hostPathOf(ds, registrar, '/registration')).toBe(`${kubeletDir}/plugins_registry`);
      expect(mountFor(container(ds, 'liveness-probe'), flagValue(container(ds, 'liveness-probe'), '--csi-address')!)).toEqual(mountFor(driver, socket));
      // Staging and publish mounts made by the driver reach the host.
      const kubelet = (driver.volumeMounts as K8sObject[]).find((m) => m.mountPath === kubeletDir)!;
      expect(kubelet.mountPropagation).toBe('Bidirectional');
      expect(volume(ds, kubelet.name).hostPath.path).toBe(kubeletDir);
      expect(driver.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
      expect(hostPathOf(ds, driver, '/dev')).toBe('/dev');
    }
  });

  it('takes the node id from the host instance-id file, read-only, never from a flag', () => {
    const ds = nodeOf(defaults);
    const driver = container(ds, 'qingcloud-csi');
    expect(flagValue(driver, '--node-id')).toBeUndefined();
    const options = parseCsiArgs(driver.args as string[], {});
    expect(options).not.toBe('help');
    const idFile = (options as Exclude<typeof options, 'help'>).instanceIdFile;
    const m = mountFor(driver, idFile)!;
    expect(m.rest).toBe('');
    expect((driver.volumeMounts as K8sObject[]).find((v) => v.name === m.name)!.readOnly).toBe(true);
    expect(volume(ds, m.name).hostPath).toEqual({ path: '/etc/qingcloud/instance-id', type: 'File' });
  });

  it('passes the driver only flags it accepts, with the values asked for', () => {
    const parse = (c: K8sObject) => {
      const options = parseCsiArgs(c.args as string[], {});
      if (options === 'help') throw new Error('help');
      return options;
    };
    const controller = parse(container(controllerOf(defaults), 'qingcloud-csi'));
    expect(controller).toMatchObject({ mode: 'controller', endpoint: 'unix:///csi/csi.sock', configPath: '/etc/qingcloud/config.yaml', metricsAddress: '0.0.0.0:9090', logLevel: 'info' });
    expect(controller.apiRatePerSecond).toBeUndefined();
    expect(parse(container(nodeOf(defaults), 'qingcloud-csi'))).toMatchObject({ mode: 'node', metricsAddress: '0.0.0.0:9820' });
    expect(parse(container(controllerOf(customised), 'qingcloud-csi'))).toMatchObject({ apiRatePerSecond: 0.3, apiBurst: 50, metricsAddress: '0.0.0.0:9191', logLevel: 'debug' });
    const customNode = parse(container(nodeOf(customised), 'qingcloud-csi'));
    expect(customNode).toMatchObject({ maxVolumesPerNode: 8, allowUnverifiableDevices: true });
    expect(customNode.metricsAddress).toBeUndefined();
  });

  it('declares the metrics and health ports the driver and sidecars listen on, and probes the driver through them', () => {
    for (const [objects, ports] of [
      [defaults, { controller: [9090, 9808], node: [9820, 9818, 9819] }],
      [customised, { controller: [9191, 9899], node: [19808, 19809] }],
    ] as const) {
      const portsOf = (w: K8sObject) => podContainers(w).flatMap((c) => (c.ports ?? []).map((p: K8sObject) => p.containerPort as number));
      expect(portsOf(controllerOf(objects)).sort()).toEqual([...ports.controller].sort());
      expect(portsOf(nodeOf(objects)).sort()).toEqual([...ports.node].sort());
      for (const w of [controllerOf(objects), nodeOf(objects)]) {
        const probe = container(w, 'liveness-probe');
        const driver = container(w, 'qingcloud-csi');
        const healthz = (driver.ports as K8sObject[]).find((p) => p.name === driver.livenessProbe.httpGet.port)!;
        expect(flagValue(probe, '--health-port')).toBe(String(healthz.containerPort));
      }
      const registrar = container(nodeOf(objects), 'node-driver-registrar');
      expect(flagValue(registrar, '--http-endpoint')).toBe(`:${String(registrar.ports[0].containerPort)}`);
    }
  });

  it('renders StorageClasses whose parameters the driver accepts', () => {
    for (const objects of [defaults, customised]) {
      for (const sc of objects.filter((o) => o.kind === 'StorageClass')) {
        expect(() => parseVolumeParams(sc.parameters ?? {}, catalog), sc.metadata.name).not.toThrow();
        expect(sc.volumeBindingMode).toBe('WaitForFirstConsumer');
        expect(sc.allowVolumeExpansion).toBe(true);
      }
    }
    const standard = findOne(defaults, 'StorageClass', 'qingcloud-storageclass');
    expect(standard.metadata.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(standard.parameters).toBeUndefined();
    expect(parseVolumeParams(standard.parameters ?? {}, catalog).type).toBeUndefined();
    expect(standard.reclaimPolicy).toBe('Delete');
    const capacity = findOne(defaults, 'StorageClass', 'qingcloud-storageclass-capacity');
    expect(capacity.parameters).toEqual({ type: '2' });
    expect(capacity.metadata.annotations).toBeUndefined();
    expect(capacity.reclaimPolicy).toBe('Delete');
    // Numbers in values become the strings StorageClass parameters must be.
    const ssd = findOne(customised, 'StorageClass', 'qingcloud-storageclass-ssd');
    expect(ssd.parameters).toEqual({ type: '200', tags: 'tag-abcd1234,tag-efgh5678', minSize: '20', maxSize: '500', stepSize: '10' });
    expect(parseVolumeParams(ssd.parameters, catalog)).toMatchObject({ type: 200, tags: ['tag-abcd1234', 'tag-efgh5678'], sizeRule: { minGiB: 20, maxGiB: 500, stepGiB: 10 } });
    expect(ssd).toMatchObject({ reclaimPolicy: 'Retain', mountOptions: ['noatime'] });
    expect(customised.filter((o) => o.kind === 'StorageClass' && o.metadata.annotations !== undefined).map((o) => o.metadata.name)).toEqual(['qingcloud-storageclass-capacity']);
  });

  it('renders a default VolumeSnapshotClass with no parameters (the driver accepts none)', () => {
    const vsc = findOne(defaults, 'VolumeSnapshotClass');
    expect(vsc).toMatchObject({ driver: values.driverName, deletionPolicy: 'Delete', metadata: { annotations: { 'snapshot.storage.k8s.io/is-default-class': 'true' } } });
    expect(vsc.parameters).toBeUndefined();
  });

  it('grants the controller sidecars what they use, leader election in the release namespace, and the node nothing', () => {
    const role = findOne(defaults, 'ClusterRole');
    const allows = (group: string, resource: string, verb: string): boolean =>
      (role.rules as K8sObject[]).some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const needs: [string, string, string[]][] = [
      ['', 'persistentvolumes', ['get', 'list', 'watch', 'create', 'delete', 'patch']],
      ['', 'persistentvolumeclaims', ['get', 'list', 'watch', 'update']],
      ['', 'persistentvolumeclaims/status', ['patch']],
      ['', 'events', ['list', 'watch', 'create', 'update', 'patch']],
      ['', 'nodes', ['get', 'list', 'watch']],
      ['', 'pods', ['list', 'watch']],
      ['storage.k8s.io', 'storageclasses', ['get', 'list', 'watch']],
      ['storage.k8s.io', 'csinodes', ['get', 'list', 'watch']],
      ['storage.k8s.io', 'volumeattachments', ['get', 'list', 'watch', 'patch']],
      ['storage.k8s.io', 'volumeattachments/status', ['patch']],
      ['snapshot.storage.k8s.io', 'volumesnapshots', ['get', 'list']],
      ['snapshot.storage.k8s.io', 'volumesnapshotclasses', ['get', 'list', 'watch']],
      ['snapshot.storage.k8s.io', 'volumesnapshotcontents', ['get', 'list', 'watch', 'update', 'patch']],
      ['snapshot.storage.k8s.io', 'volumesnapshotcontents/status', ['update', 'patch']],
    ];
    const missing = needs.flatMap(([g, r, verbs]) => verbs.filter((v) => !allows(g, r, v)).map((v) => `${g}/${r} ${v}`));
    expect(missing).toEqual([]);
    const deployment = controllerOf(defaults);
    const sa = deployment.spec.template.spec.serviceAccountName;
    expect(findOne(defaults, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: 'kube-system' }]);
    const leases = findOne(defaults, 'Role');
    expect(leases.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(leases.rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: expect.arrayContaining(['get', 'watch', 'list', 'create', 'update', 'delete']) }]);
    expect(findOne(defaults, 'RoleBinding').subjects[0].name).toBe(sa);
    const nodeSa = nodeOf(defaults).spec.template.spec.serviceAccountName;
    expect(defaults.filter((o) => o.kind.endsWith('Binding') && o.subjects.some((s: K8sObject) => s.name === nodeSa))).toEqual([]);
    expect(findOne(defaults, 'ServiceAccount', nodeSa).automountServiceAccountToken).toBe(false);
  });

  it('writes a config.yaml the SDK parses, from the values, and mounts it where the driver reads it', () => {
    const secret = findOne(defaults, 'Secret');
    const config = parseConfigYaml(secret.stringData['config.yaml'] as string);
    expect(config).toMatchObject({ accessKeyId: 'QYACCESSKEYIDEXAMPLE', zone: 'pek3a', host: 'api.qingcloud.com', port: 443, protocol: 'https', uri: '/iaas' });
    expect(config.secretAccessKey).toBe('example-secret-access-key');
    for (const w of [controllerOf(defaults), nodeOf(defaults)]) {
      const driver = container(w, 'qingcloud-csi');
      const m = mountFor(driver, flagValue(driver, '--config')!)!;
      expect(volume(w, m.name).secret.secretName).toBe(secret.metadata.name);
      // Only the driver containers see the credentials.
      for (const c of podContainers(w).filter((x) => x.name !== 'qingcloud-csi')) expect(c.volumeMounts.some((x: K8sObject) => x.name === m.name)).toBe(false);
    }
    // With an existing Secret the pods mount it; the node can be told not to.
    expect(volume(controllerOf(customised), 'qingcloud-config').secret.secretName).toBe('qc-credentials');
    expect((nodeOf(customised).spec.template.spec.volumes as K8sObject[]).some((v) => v.secret !== undefined)).toBe(false);
    expect(flagValue(container(nodeOf(customised), 'qingcloud-csi'), '--config')).toBeUndefined();
  });

  it('takes every image from values: ours defaults to the chart appVersion, which is the package version', () => {
    const chart = parseYaml(readFileSync(join(REPO_ROOT, 'charts', CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: CHART, version: '0.1.0', appVersion: pkg.version });
    const images = (objects: K8sObject[]): [string, string][] =>
      [controllerOf(objects), nodeOf(objects)].flatMap((w) => podContainers(w).map((c): [string, string] => [c.name as string, c.image as string]));
    for (const [name, image] of images(defaults)) {
      if (name === 'qingcloud-csi') expect(image).toBe(`${values.image.repository}:${pkg.version}`);
      else expect(Object.values(values.sidecars as Record<string, any>).map((s) => `${s.image.repository}:${s.image.tag}`)).toContain(image);
    }
    const configured = new Set([`${custom.image.repository}:${custom.image.tag}`, ...Object.values(custom.sidecars as Record<string, any>).map((s) => `${s.image.repository}:${s.image.tag}`)]);
    for (const [name, image] of images(customised)) expect(configured.has(image), `${name} ${image}`).toBe(true);
    expect(new Set(images(customised).map(([, i]) => i)).size).toBe(configured.size);
  });

  it('runs the commands the image provides', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const finalStage = parseDockerfile(dockerfile).stages.at(-1)!;
    const provided = finalStage.instructions.map((i) => i.args).join('\n');
    for (const w of [controllerOf(defaults), nodeOf(defaults)]) expect(provided).toContain(`/usr/local/bin/${String(container(w, 'qingcloud-csi').command[0])}`);
  });

  it('applies scheduling and resources from values', () => {
    const pod = (w: K8sObject) => w.spec.template.spec;
    expect(pod(controllerOf(defaults)).priorityClassName).toBe('system-cluster-critical');
    expect(pod(nodeOf(defaults)).priorityClassName).toBe('system-node-critical');
    expect(pod(nodeOf(defaults)).tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod(controllerOf(customised))).toMatchObject({ priorityClassName: 'qingcloud-critical', nodeSelector: { 'node-role.kubernetes.io/control-plane': '' }, imagePullSecrets: [{ name: 'regcred' }] });
    expect(pod(nodeOf(customised)).tolerations).toEqual(custom.node.tolerations);
    // Helm merges maps: the custom requests replace the defaults', the default limits stay.
    expect(container(controllerOf(customised), 'qingcloud-csi').resources).toEqual({ ...values.controller.resources, requests: custom.controller.resources.requests });
    expect(container(nodeOf(defaults), 'qingcloud-csi').resources).toEqual(values.node.resources);
    expect(pod(nodeOf(defaults))).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
  });

  it('prints install notes naming the classes', async () => {
    const notes = await renderer.run(CHART, [CREDENTIALS], { notes: true });
    expect(notes.exitCode).toBe(0);
    expect(notes.stdout).toContain('qingcloud-storageclass (default)');
    expect(notes.stdout).toContain('qingcloud-storageclass-capacity');
    expect(notes.stdout).toContain('/etc/qingcloud/instance-id');
  });
});
