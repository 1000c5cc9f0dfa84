// A focused structural validator for the kinds the charts render (the @kubernetes-models packages are not installed):
// required fields, types, enums, unknown keys (typos) and the API server's cross-field rules that matter here
// (Bidirectional needs privileged, selectors match template labels, names and label syntax, ports, probes),
// plus stream-level references (service accounts, secrets, config maps, roles, priority classes).
import type { K8sObject } from './render.js';

type Obj = Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SYSTEM_PRIORITY_CLASSES = ['system-node-critical', 'system-cluster-critical'];

interface KindInfo {
  namespaced: boolean;
  /** Top-level keys besides apiVersion, kind, metadata. */
  keys: string[];
  check: (c: Checker, o: Obj) => void;
}

const KINDS: Record<string, KindInfo> = {
  'v1/ServiceAccount': { namespaced: true, keys: ['automountServiceAccountToken', 'imagePullSecrets', 'secrets'], check: checkServiceAccount },
  'v1/ConfigMap': { namespaced: true, keys: ['data', 'binaryData', 'immutable'], check: checkConfigMap },
  'v1/Secret': { namespaced: true, keys: ['type', 'data', 'stringData', 'immutable'], check: checkSecret },
  'apps/v1/Deployment': { namespaced: true, keys: ['spec'], check: (c, o) => checkWorkload(c, o, 'Deployment') },
  'apps/v1/DaemonSet': { namespaced: true, keys: ['spec'], check: (c, o) => checkWorkload(c, o, 'DaemonSet') },
  'rbac.authorization.k8s.io/v1/ClusterRole': { namespaced: false, keys: ['rules', 'aggregationRule'], check: (c, o) => checkRules(c, o, true) },
  'rbac.authorization.k8s.io/v1/Role': { namespaced: true, keys: ['rules'], check: (c, o) => checkRules(c, o, false) },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { namespaced: false, keys: ['roleRef', 'subjects'], check: (c, o) => checkBinding(c, o, true) },
  'rbac.authorization.k8s.io/v1/RoleBinding': { namespaced: true, keys: ['roleRef', 'subjects'], check: (c, o) => checkBinding(c, o, false) },
  'storage.k8s.io/v1/CSIDriver': { namespaced: false, keys: ['spec'], check: checkCsiDriver },
  'storage.k8s.io/v1/StorageClass': {
    namespaced: false,
    keys: ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode', 'allowVolumeExpansion', 'mountOptions', 'allowedTopologies'],
    check: checkStorageClass,
  },
  'snapshot.storage.k8s.io/v1/VolumeSnapshotClass': { namespaced: false, keys: ['driver', 'deletionPolicy', 'parameters'], check: checkSnapshotClass },
  'scheduling.k8s.io/v1/PriorityClass': { namespaced: false, keys: ['value', 'globalDefault', 'description', 'preemptionPolicy'], check: checkPriorityClass },
};

/** Collects problems, each with the object and the field path. */
class Checker {
  readonly problems: string[] = [];
  constructor(private readonly where: string) {}

  fail(path: string, message: string): void {
    this.problems.push(`${this.where}: ${path}: ${message}`);
  }

  /** An object whose keys are all in `allowed`, with `required` present. */
  obj(path: string, value: unknown, allowed: readonly string[], required: readonly string[] = []): Obj | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const o = value as Obj;
    for (const key of Object.keys(o)) if (!allowed.includes(key)) this.fail(`${path}.${key}`, `unknown field (known: ${allowed.join(', ')})`);
    for (const key of required) if (o[key] === undefined || o[key] === null) this.fail(`${path}.${key}`, 'required');
    return o;
  }

  str(path: string, value: unknown, pattern?: RegExp, max?: number): value is string {
    if (typeof value !== 'string') {
      this.fail(path, `must be a string, got ${JSON.stringify(value)}`);
      return false;
    }
    if (pattern !== undefined && !pattern.test(value)) this.fail(path, `${JSON.stringify(value)} does not match ${pattern}`);
    if (max !== undefined && value.length > max) this.fail(path, `${JSON.stringify(value)} is longer than ${max}`);
    return true;
  }

  optStr(path: string, value: unknown, pattern?: RegExp, max?: number): void {
    if (value !== undefined) this.str(path, value, pattern, max);
  }

  bool(path: string, value: unknown): void {
    if (value !== undefined && typeof value !== 'boolean') this.fail(path, `must be true or false, got ${JSON.stringify(value)}`);
  }

  int(path: string, value: unknown, min = -(2 ** 31), max = 2 ** 31 - 1): void {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.fail(path, `must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  }

  oneOf(path: string, value: unknown, allowed: readonly string[]): void {
    if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) this.fail(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }

  strArray(path: string, value: unknown, nonEmpty = false): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      this.fail(path, `must be a list of strings, got ${JSON.stringify(value)}`);
      return [];
    }
    if (nonEmpty && value.length === 0) this.fail(path, 'must not be empty');
    return value as string[];
  }

  list(path: string, value: unknown): unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.fail(path, `must be a list, got ${JSON.stringify(value)}`);
      return [];
    }
    return value;
  }

  strMap(path: string, value: unknown, keyPattern?: RegExp): Record<string, string> {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be a map of strings, got ${JSON.stringify(value)}`);
      return {};
    }
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') this.fail(`${path}.${k}`, `must be a string (quote it), got ${JSON.stringify(v)}`);
      if (keyPattern !== undefined && !keyPattern.test(k)) this.fail(`${path}.${k}`, `key does not match ${keyPattern}`);
    }
    return value as Record<string, string>;
  }

  qualifiedNameMap(path: string, value: unknown, checkValues: boolean): void {
    const map = this.strMap(path, value);
    for (const [k, v] of Object.entries(map)) {
      const slash = k.lastIndexOf('/');
      const prefix = slash < 0 ? undefined : k.slice(0, slash);
      const name = slash < 0 ? k : k.slice(slash + 1);
      if (prefix !== undefined && (!DNS_SUBDOMAIN.test(prefix) || prefix.length > 253)) this.fail(`${path}.${k}`, 'key prefix must be a DNS subdomain');
      if (!LABEL_NAME.test(name) || name.length > 63) this.fail(`${path}.${k}`, 'key name must be at most 63 alphanumerics, -, _ or .');
      if (checkValues && typeof v === 'string' && v !== '' && (!LABEL_NAME.test(v) || v.length > 63)) this.fail(`${path}.${k}`, `label value ${JSON.stringify(v)} is not a valid label value`);
    }
  }
}

/** Problems of one object: its kind's schema and the API server's validation rules checked here. */
export function validateObject(o: K8sObject): string[] {
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '?';
  const c = new Checker(`${String(o.kind)}/${name}`);
  const info = KINDS[`${String(o.apiVersion)}/${String(o.kind)}`];
  if (info === undefined) {
    c.fail('apiVersion/kind', `${String(o.apiVersion)} ${String(o.kind)} is not a kind this validator knows (add it to KINDS)`);
    return c.problems;
  }
  c.obj('', o, ['apiVersion', 'kind', 'metadata', ...info.keys], ['metadata']);
  const meta = c.obj('metadata', o.metadata, ['name', 'namespace', 'labels', 'annotations'], ['name']);
  if (meta !== undefined) {
    const rbac = String(o.apiVersion).startsWith('rbac.');
    if (c.str('metadata.name', meta.name)) {
      if (rbac ? /[/%]|^\.\.?$/.test(meta.name) : !DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) c.fail('metadata.name', `${meta.name} is not a valid name`);
    }
    if (info.namespaced) {
      if (c.str('metadata.namespace', meta.namespace, DNS_LABEL, 63) === false) c.fail('metadata.namespace', 'namespaced objects name their namespace');
    } else if (meta.namespace !== undefined) c.fail('metadata.namespace', `${String(o.kind)} is cluster-scoped`);
    c.qualifiedNameMap('metadata.labels', meta.labels, true);
    c.qualifiedNameMap('metadata.annotations', meta.annotations, false);
  }
  info.check(c, o);
  return c.problems;
}

function checkServiceAccount(c: Checker, o: Obj): void {
  c.bool('automountServiceAccountToken', o.automountServiceAccountToken);
}

function checkConfigMap(c: Checker, o: Obj): void {
  c.strMap('data', o.data, CONFIG_KEY);
  c.bool('immutable', o.immutable);
}

function checkSecret(c: Checker, o: Obj): void {
  c.optStr('type', o.type);
  const data = c.strMap('data', o.data, CONFIG_KEY);
  for (const [k, v] of Object.entries(data)) if (!BASE64.test(v)) c.fail(`data.${k}`, 'must be base64');
  c.strMap('stringData', o.stringData, CONFIG_KEY);
  c.bool('immutable', o.immutable);
}

function checkWorkload(c: Checker, o: Obj, kind: 'Deployment' | 'DaemonSet'): void {
  const allowed =
    kind === 'Deployment'
      ? ['replicas', 'selector', 'template', 'strategy', 'revisionHistoryLimit', 'minReadySeconds', 'progressDeadlineSeconds']
      : ['selector', 'template', 'updateStrategy', 'revisionHistoryLimit', 'minReadySeconds'];
  const spec = c.obj('spec', o.spec, allowed, ['selector', 'template']);
  if (spec === undefined) return;
  if (kind === 'Deployment') c.int('spec.replicas', spec.replicas, 0);
  if (kind === 'DaemonSet' && spec.updateStrategy !== undefined) {
    const us = c.obj('spec.updateStrategy', spec.updateStrategy, ['type', 'rollingUpdate']);
    c.oneOf('spec.updateStrategy.type', us?.type, ['RollingUpdate', 'OnDelete']);
    if (us?.rollingUpdate !== undefined) {
      const ru = c.obj('spec.updateStrategy.rollingUpdate', us.rollingUpdate, ['maxUnavailable', 'maxSurge']);
      const mu = ru?.maxUnavailable;
      if (mu !== undefined && !(typeof mu === 'number' ? Number.isInteger(mu) && mu >= 0 : typeof mu === 'string' && /^\d+%$/.test(mu))) {
        c.fail('spec.updateStrategy.rollingUpdate.maxUnavailable', `must be a count or a percentage, got ${JSON.stringify(mu)}`);
      }
    }
  }
  const selector = c.obj('spec.selector', spec.selector, ['matchLabels', 'matchExpressions']);
  const template = c.obj('spec.template', spec.template, ['metadata', 'spec'], ['metadata', 'spec']);
  if (template === undefined) return;
  const tmeta = c.obj('spec.template.metadata', template.metadata, ['labels', 'annotations']);
  c.qualifiedNameMap('spec.template.metadata.labels', tmeta?.labels, true);
  c.qualifiedNameMap('spec.template.metadata.annotations', tmeta?.annotations, false);
  const matchLabels = c.strMap('spec.selector.matchLabels', selector?.matchLabels);
  if (Object.keys(matchLabels).length === 0) c.fail('spec.selector.matchLabels', 'must select the pods');
  const labels = (tmeta?.labels ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) c.fail('spec.selector.matchLabels', `${k}=${v} does not match the template's labels`);
  checkPodSpec(c, 'spec.template.spec', template.spec);
}

const POD_KEYS = [
  'containers', 'initContainers', 'volumes', 'serviceAccountName', 'automountServiceAccountToken', 'priorityClassName', 'hostNetwork',
  'hostPID', 'hostIPC', 'dnsPolicy', 'terminationGracePeriodSeconds', 'securityContext', 'imagePullSecrets', 'nodeSelector', 'affinity',
  'tolerations', 'restartPolicy',
];
const CONTAINER_KEYS = [
  'name', 'image', 'imagePullPolicy', 'command', 'args', 'env', 'ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'securityContext',
  'resources', 'volumeMounts', 'workingDir', 'lifecycle',
];
const VOLUME_SOURCES = ['hostPath', 'emptyDir', 'secret', 'configMap', 'projected'];
const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];

function checkPodSpec(c: Checker, path: string, value: unknown): void {
  const pod = c.obj(path, value, POD_KEYS, ['containers']);
  if (pod === undefined) return;
  c.optStr(`${path}.serviceAccountName`, pod.serviceAccountName, DNS_SUBDOMAIN);
  c.bool(`${path}.automountServiceAccountToken`, pod.automountServiceAccountToken);
  c.optStr(`${path}.priorityClassName`, pod.priorityClassName, DNS_SUBDOMAIN);
  c.bool(`${path}.hostNetwork`, pod.hostNetwork);
  c.bool(`${path}.hostPID`, pod.hostPID);
  c.oneOf(`${path}.dnsPolicy`, pod.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']);
  c.oneOf(`${path}.restartPolicy`, pod.restartPolicy, ['Always']);
  c.int(`${path}.terminationGracePeriodSeconds`, pod.terminationGracePeriodSeconds, 0);
  c.strMap(`${path}.nodeSelector`, pod.nodeSelector);
  if (pod.affinity !== undefined) c.obj(`${path}.affinity`, pod.affinity, ['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
  c.list(`${path}.imagePullSecrets`, pod.imagePullSecrets).forEach((s, i) => c.obj(`${path}.imagePullSecrets[${i}]`, s, ['name'], ['name']));
  const podSc = pod.securityContext === undefined ? {} : (c.obj(`${path}.securityContext`, pod.securityContext, ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'fsGroup', 'supplementalGroups', 'seccompProfile', 'fsGroupChangePolicy']) ?? {});
  for (const k of ['runAsUser', 'runAsGroup', 'fsGroup']) c.int(`${path}.securityContext.${k}`, podSc[k], 0);
  c.bool(`${path}.securityContext.runAsNonRoot`, podSc.runAsNonRoot);

  c.list(`${path}.tolerations`, pod.tolerations).forEach((t, i) => {
    const p = `${path}.tolerations[${i}]`;
    const tol = c.obj(p, t, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    if (tol === undefined) return;
    c.oneOf(`${p}.operator`, tol.operator, ['Exists', 'Equal']);
    c.oneOf(`${p}.effect`, tol.effect, ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']);
    if (tol.operator === 'Exists' && tol.value !== undefined && tol.value !== '') c.fail(p, 'operator Exists takes no value');
    if ((tol.key === undefined || tol.key === '') && tol.operator !== 'Exists') c.fail(p, 'an empty key needs operator Exists');
  });

  const volumes = new Map<string, Obj>();
  c.list(`${path}.volumes`, pod.volumes).forEach((v, i) => {
    const p = `${path}.volumes[${i}]`;
    const vol = c.obj(p, v, ['name', ...VOLUME_SOURCES], ['name']);
    if (vol === undefined) return;
    if (c.str(`${p}.name`, vol.name, DNS_LABEL, 63)) {
      if (volumes.has(vol.name)) c.fail(`${p}.name`, `volume ${vol.name} is declared twice`);
      volumes.set(vol.name, vol);
    }
    const sources = VOLUME_SOURCES.filter((s) => vol[s] !== undefined);
    if (sources.length !== 1) c.fail(p, `needs exactly one volume source, has ${sources.join(', ') || 'none'}`);
    if (vol.hostPath !== undefined) {
      const hp = c.obj(`${p}.hostPath`, vol.hostPath, ['path', 'type'], ['path']);
      c.str(`${p}.hostPath.path`, hp?.path, /^\//);
      c.oneOf(`${p}.hostPath.type`, hp?.type, HOST_PATH_TYPES);
    }
    if (vol.emptyDir !== undefined) {
      const ed = c.obj(`${p}.emptyDir`, vol.emptyDir, ['medium', 'sizeLimit']);
      c.oneOf(`${p}.emptyDir.medium`, ed?.medium, ['', 'Memory']);
    }
    if (vol.secret !== undefined) {
      const s = c.obj(`${p}.secret`, vol.secret, ['secretName', 'defaultMode', 'items', 'optional'], ['secretName']);
      c.str(`${p}.secret.secretName`, s?.secretName, DNS_SUBDOMAIN);
      c.int(`${p}.secret.defaultMode`, s?.defaultMode, 0, 0o777);
    }
    if (vol.configMap !== undefined) {
      const cm = c.obj(`${p}.configMap`, vol.configMap, ['name', 'defaultMode', 'items', 'optional'], ['name']);
      c.str(`${p}.configMap.name`, cm?.name, DNS_SUBDOMAIN);
      c.int(`${p}.configMap.defaultMode`, cm?.defaultMode, 0, 0o777);
    }
  });

  const containerNames = new Set<string>();
  const used = new Set<string>();
  const hostPorts = new Set<string>();
  const checkContainers = (key: 'containers' | 'initContainers'): void => {
    const list = c.list(`${path}.${key}`, pod[key]);
    if (key === 'containers' && list.length === 0) c.fail(`${path}.containers`, 'needs at least one container');
    list.forEach((item, i) => {
      const p = `${path}.${key}[${i}]`;
      const ct = c.obj(p, item, CONTAINER_KEYS, ['name', 'image']);
      if (ct === undefined) return;
      if (c.str(`${p}.name`, ct.name, DNS_LABEL, 63)) {
        if (containerNames.has(ct.name)) c.fail(`${p}.name`, `container ${ct.name} is declared twice`);
        containerNames.add(ct.name);
      }
      c.str(`${p}.image`, ct.image, /^\S+$/);
      c.oneOf(`${p}.imagePullPolicy`, ct.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']);
      c.strArray(`${p}.command`, ct.command);
      c.strArray(`${p}.args`, ct.args);
      c.list(`${p}.env`, ct.env).forEach((e, j) => {
        const env = c.obj(`${p}.env[${j}]`, e, ['name', 'value', 'valueFrom'], ['name']);
        c.str(`${p}.env[${j}].name`, env?.name, ENV_NAME);
        if (env?.value !== undefined && env.valueFrom !== undefined) c.fail(`${p}.env[${j}]`, 'value and valueFrom are exclusive');
        c.optStr(`${p}.env[${j}].value`, env?.value);
      });
      const portNames = new Set<string>();
      c.list(`${p}.ports`, ct.ports).forEach((x, j) => {
        const pp = `${p}.ports[${j}]`;
        const port = c.obj(pp, x, ['name', 'containerPort', 'protocol', 'hostPort', 'hostIP'], ['containerPort']);
        if (port === undefined) return;
        c.int(`${pp}.containerPort`, port.containerPort, 1, 65535);
        c.oneOf(`${pp}.protocol`, port.protocol, ['TCP', 'UDP', 'SCTP']);
        if (port.name !== undefined && c.str(`${pp}.name`, port.name, IANA_SVC_NAME, 15)) {
          if (portNames.has(port.name)) c.fail(`${pp}.name`, `port ${port.name} is declared twice`);
          portNames.add(port.name);
        }
        if (pod.hostNetwork === true) {
          if (port.hostPort !== undefined && port.hostPort !== port.containerPort) c.fail(pp, 'on the host network hostPort must equal containerPort');
          const key2 = `${String(port.containerPort)}/${typeof port.protocol === 'string' ? port.protocol : 'TCP'}`;
          if (hostPorts.has(key2)) c.fail(pp, `host port ${key2} is used twice in the pod`);
          hostPorts.add(key2);
        }
      });
      for (const probeKey of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (ct[probeKey] === undefined) continue;
        const pp = `${p}.${probeKey}`;
        const probe = c.obj(pp, ct[probeKey], ['httpGet', 'exec', 'tcpSocket', 'grpc', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold']);
        if (probe === undefined) continue;
        const handlers = ['httpGet', 'exec', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined);
        if (handlers.length !== 1) c.fail(pp, `needs exactly one handler, has ${handlers.join(', ') || 'none'}`);
        for (const k of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold']) c.int(`${pp}.${k}`, probe[k], 0);
        if (probeKey === 'livenessProbe' && probe.successThreshold !== undefined && probe.successThreshold !== 1) c.fail(`${pp}.successThreshold`, 'must be 1 for liveness');
        if (probe.httpGet !== undefined) {
          const hg = c.obj(`${pp}.httpGet`, probe.httpGet, ['path', 'port', 'scheme', 'host', 'httpHeaders'], ['port']);
          c.optStr(`${pp}.httpGet.path`, hg?.path, /^\//);
          const port = hg?.port;
          if (typeof port === 'string' && !portNames.has(port)) c.fail(`${pp}.httpGet.port`, `names port ${port}, which container ${String(ct.name)} does not declare`);
          else if (typeof port === 'number') c.int(`${pp}.httpGet.port`, port, 1, 65535);
        }
        if (probe.exec !== undefined) {
          const ex = c.obj(`${pp}.exec`, probe.exec, ['command'], ['command']);
          c.strArray(`${pp}.exec.command`, ex?.command, true);
        }
      }
      const sc = ct.securityContext === undefined ? {} : (c.obj(`${p}.securityContext`, ct.securityContext, ['privileged', 'runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'capabilities', 'seccompProfile']) ?? {});
      for (const k of ['privileged', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation']) c.bool(`${p}.securityContext.${k}`, sc[k]);
      for (const k of ['runAsUser', 'runAsGroup']) c.int(`${p}.securityContext.${k}`, sc[k], 0);
      if (sc.capabilities !== undefined) {
        const caps = c.obj(`${p}.securityContext.capabilities`, sc.capabilities, ['add', 'drop']);
        c.strArray(`${p}.securityContext.capabilities.add`, caps?.add);
        c.strArray(`${p}.securityContext.capabilities.drop`, caps?.drop);
      }
      if (sc.privileged === true && sc.allowPrivilegeEscalation === false) c.fail(`${p}.securityContext`, 'cannot set allowPrivilegeEscalation false when privileged');
      const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
      const user = sc.runAsUser ?? podSc.runAsUser;
      if (nonRoot === true && user === 0) c.fail(`${p}.securityContext`, 'runAsNonRoot with runAsUser 0 never starts');
      if (ct.resources !== undefined) {
        const res = c.obj(`${p}.resources`, ct.resources, ['requests', 'limits']);
        for (const k of ['requests', 'limits'] as const) {
          const r = res?.[k];
          if (r === undefined) continue;
          const m = c.obj(`${p}.resources.${k}`, r, ['cpu', 'memory', 'ephemeral-storage']);
          for (const [rk, rv] of Object.entries(m ?? {})) {
            if (!(typeof rv === 'number' || (typeof rv === 'string' && QUANTITY.test(rv)))) c.fail(`${p}.resources.${k}.${rk}`, `${JSON.stringify(rv)} is not a quantity`);
          }
        }
      }
      const mountPaths = new Set<string>();
      c.list(`${p}.volumeMounts`, ct.volumeMounts).forEach((x, j) => {
        const mp = `${p}.volumeMounts[${j}]`;
        const m = c.obj(mp, x, ['name', 'mountPath', 'readOnly', 'subPath', 'mountPropagation'], ['name', 'mountPath']);
        if (m === undefined) return;
        if (typeof m.name === 'string') {
          if (!volumes.has(m.name)) c.fail(`${mp}.name`, `mounts volume ${m.name}, which the pod does not declare`);
          used.add(m.name);
        }
        if (c.str(`${mp}.mountPath`, m.mountPath, /^\//)) {
          if (mountPaths.has(m.mountPath)) c.fail(`${mp}.mountPath`, `${m.mountPath} is mounted twice`);
          mountPaths.add(m.mountPath);
        }
        c.bool(`${mp}.readOnly`, m.readOnly);
        if (m.subPath !== undefined && c.str(`${mp}.subPath`, m.subPath) && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..'))) {
          c.fail(`${mp}.subPath`, 'must be a relative path without ..');
        }
        c.oneOf(`${mp}.mountPropagation`, m.mountPropagation, ['None', 'HostToContainer', 'Bidirectional']);
        if (m.mountPropagation === 'Bidirectional' && sc.privileged !== true) c.fail(`${mp}.mountPropagation`, 'Bidirectional propagation is only allowed in privileged containers');
      });
    });
  };
  checkContainers('initContainers');
  checkContainers('containers');
  for (const name of volumes.keys()) if (!used.has(name)) c.fail(`${path}.volumes`, `volume ${name} is mounted by no container`);
}

function checkRules(c: Checker, o: Obj, cluster: boolean): void {
  c.list('rules', o.rules).forEach((r, i) => {
    const p = `rules[${i}]`;
    const rule = c.obj(p, r, ['apiGroups', 'resources', 'verbs', 'resourceNames', ...(cluster ? ['nonResourceURLs'] : [])], ['verbs']);
    if (rule === undefined) return;
    c.strArray(`${p}.apiGroups`, rule.apiGroups);
    c.strArray(`${p}.resources`, rule.resources);
    const verbs = c.strArray(`${p}.verbs`, rule.verbs, true);
    const known = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*'];
    for (const v of verbs) if (!known.includes(v)) c.fail(`${p}.verbs`, `unknown verb ${v}`);
    if (rule.resources !== undefined && rule.apiGroups === undefined) c.fail(p, 'resource rules need apiGroups');
  });
}

function checkBinding(c: Checker, o: Obj, cluster: boolean): void {
  const ref = c.obj('roleRef', o.roleRef, ['apiGroup', 'kind', 'name'], ['apiGroup', 'kind', 'name']);
  if (ref !== undefined) {
    c.oneOf('roleRef.apiGroup', ref.apiGroup, ['rbac.authorization.k8s.io']);
    c.oneOf('roleRef.kind', ref.kind, cluster ? ['ClusterRole'] : ['Role', 'ClusterRole']);
    c.str('roleRef.name', ref.name);
  }
  c.list('subjects', o.subjects).forEach((s, i) => {
    const p = `subjects[${i}]`;
    const subject = c.obj(p, s, ['kind', 'name', 'namespace', 'apiGroup'], ['kind', 'name']);
    c.oneOf(`${p}.kind`, subject?.kind, ['ServiceAccount', 'User', 'Group']);
    if (subject?.kind === 'ServiceAccount') c.str(`${p}.namespace`, subject.namespace, DNS_LABEL);
  });
}

function checkCsiDriver(c: Checker, o: Obj): void {
  c.str('metadata.name', (o.metadata as Obj | undefined)?.name, DNS_SUBDOMAIN, 63);
  const spec = c.obj('spec', o.spec, ['attachRequired', 'podInfoOnMount', 'fsGroupPolicy', 'volumeLifecycleModes', 'storageCapacity', 'tokenRequests', 'requiresRepublish', 'seLinuxMount']);
  if (spec === undefined) return;
  for (const k of ['attachRequired', 'podInfoOnMount', 'storageCapacity', 'requiresRepublish', 'seLinuxMount']) c.bool(`spec.${k}`, spec[k]);
  c.oneOf('spec.fsGroupPolicy', spec.fsGroupPolicy, ['None', 'File', 'ReadWriteOnceWithFSType']);
  for (const mode of c.strArray('spec.volumeLifecycleModes', spec.volumeLifecycleModes)) c.oneOf('spec.volumeLifecycleModes', mode, ['Persistent', 'Ephemeral']);
}

function checkStorageClass(c: Checker, o: Obj): void {
  c.str('provisioner', o.provisioner, DNS_SUBDOMAIN, 63);
  c.strMap('parameters', o.parameters);
  c.oneOf('reclaimPolicy', o.reclaimPolicy, ['Delete', 'Retain']);
  c.oneOf('volumeBindingMode', o.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']);
  c.bool('allowVolumeExpansion', o.allowVolumeExpansion);
  c.strArray('mountOptions', o.mountOptions);
}

function checkSnapshotClass(c: Checker, o: Obj): void {
  c.str('driver', o.driver, DNS_SUBDOMAIN, 63);
  if (o.deletionPolicy === undefined) c.fail('deletionPolicy', 'required');
  c.oneOf('deletionPolicy', o.deletionPolicy, ['Delete', 'Retain']);
  c.strMap('parameters', o.parameters);
}

function checkPriorityClass(c: Checker, o: Obj): void {
  c.int('value', o.value, -(2 ** 31), 1_000_000_000);
  c.bool('globalDefault', o.globalDefault);
}

/**
 * Problems of a whole rendered release: every object's own, duplicates, and references between objects (service
 * accounts, secrets and config maps with the keys mounted by subPath, roles, priority classes). `external` names
 * objects the release may reference without rendering them, as `Kind/name`.
 */
export function validateStream(objects: readonly K8sObject[], external: readonly string[] = []): string[] {
  const problems = objects.flatMap((o) => validateObject(o));
  const seen = new Set<string>();
  const byKind = (kind: string, name: string, namespace?: string): K8sObject | undefined =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name && (namespace === undefined || o.metadata?.namespace === namespace));
  const exists = (kind: string, name: string, namespace?: string): boolean => byKind(kind, name, namespace) !== undefined || external.includes(`${kind}/${name}`);

  for (const o of objects) {
    const id = `${String(o.apiVersion).split('/')[0]}/${String(o.kind)}/${String(o.metadata?.namespace ?? '')}/${String(o.metadata?.name)}`;
    if (seen.has(id)) problems.push(`${String(o.kind)}/${String(o.metadata?.name)}: rendered twice`);
    seen.add(id);
    const where = `${String(o.kind)}/${String(o.metadata?.name)}`;
    const ns: string | undefined = o.metadata?.namespace;

    if (o.kind === 'Deployment' || o.kind === 'DaemonSet') {
      const pod = o.spec?.template?.spec ?? {};
      if (pod.serviceAccountName !== undefined && !exists('ServiceAccount', pod.serviceAccountName, ns)) problems.push(`${where}: service account ${pod.serviceAccountName} is not rendered`);
      const pc = pod.priorityClassName;
      if (pc !== undefined && !SYSTEM_PRIORITY_CLASSES.includes(pc) && !exists('PriorityClass', pc)) problems.push(`${where}: priority class ${pc} is neither a system class nor rendered`);
      const volumes: K8sObject[] = pod.volumes ?? [];
      for (const v of volumes) {
        const kind = v.secret !== undefined ? 'Secret' : v.configMap !== undefined ? 'ConfigMap' : undefined;
        if (kind === undefined) continue;
        const name: string = kind === 'Secret' ? v.secret.secretName : v.configMap.name;
        if (!exists(kind, name, ns)) {
          problems.push(`${where}: volume ${String(v.name)} needs ${kind} ${name}, which is not rendered`);
          continue;
        }
        const target = byKind(kind, name, ns);
        if (target === undefined) continue;
        const keys = new Set([...Object.keys(target.data ?? {}), ...Object.keys(target.stringData ?? {})]);
        for (const ct of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as K8sObject[]) {
          for (const m of (ct.volumeMounts ?? []) as K8sObject[]) {
            if (m.name === v.name && m.subPath !== undefined && !keys.has(String(m.subPath))) problems.push(`${where}: ${String(ct.name)} mounts key ${String(m.subPath)} of ${kind} ${name}, which has no such key`);
          }
        }
      }
    }
    if (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') {
      const ref = o.roleRef ?? {};
      if (!exists(ref.kind, ref.name, ref.kind === 'Role' ? ns : undefined)) problems.push(`${where}: roleRef ${String(ref.kind)}/${String(ref.name)} is not rendered`);
      for (const s of (o.subjects ?? []) as K8sObject[]) {
        if (s.kind === 'ServiceAccount' && !exists('ServiceAccount', s.name, s.namespace)) problems.push(`${where}: subject ServiceAccount ${String(s.namespace)}/${String(s.name)} is not rendered`);
      }
    }
  }
  return problems;
}
