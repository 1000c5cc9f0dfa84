import { describe, expect, it } from 'vitest';
import { validateObject, validateStream } from './k8s-validate.js';
import type { K8sObject } from './render.js';

function daemonSet(): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'node', namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: 'node' } },
      template: {
        metadata: { labels: { app: 'node' } },
        spec: {
          serviceAccountName: 'node',
          containers: [
            {
              name: 'driver',
              image: 'example/driver:1',
              ports: [{ name: 'healthz', containerPort: 9808 }],
              livenessProbe: { httpGet: { path: '/healthz', port: 'healthz' } },
              securityContext: { privileged: true },
              volumeMounts: [{ name: 'kubelet', mountPath: '/var/lib/kubelet', mountPropagation: 'Bidirectional' }],
            },
          ],
          volumes: [{ name: 'kubelet', hostPath: { path: '/var/lib/kubelet', type: 'Directory' } }],
        },
      },
    },
  };
}

const serviceAccount: K8sObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'node', namespace: 'kube-system' } };

describe('the structural validator', () => {
  it('accepts a well-formed DaemonSet and its ServiceAccount', () => {
    expect(validateStream([daemonSet(), serviceAccount])).toEqual([]);
  });

  it('reports typos, bad enums, unprivileged Bidirectional mounts and unknown probe ports', () => {
    const ds = daemonSet();
    const c = ds.spec.template.spec.containers[0];
    c.volumeMounts[0].mountPropogation = 'Bidirectional';
    c.imagePullPolicy = 'Sometimes';
    c.livenessProbe.httpGet.port = 'health';
    const problems = validateObject(ds).join('\n');
    expect(problems).toContain('mountPropogation: unknown field');
    expect(problems).toContain('imagePullPolicy: must be one of');
    expect(problems).toContain('names port health');
    delete c.securityContext.privileged;
    c.volumeMounts[0] = { name: 'kubelet', mountPath: '/var/lib/kubelet', mountPropagation: 'Bidirectional' };
    expect(validateObject(ds).join('\n')).toContain('only allowed in privileged containers');
  });

  it('reports selectors that miss the template, undeclared volumes and missing references', () => {
    const ds = daemonSet();
    ds.spec.selector.matchLabels.app = 'other';
    ds.spec.template.spec.containers[0].volumeMounts.push({ name: 'ghost', mountPath: '/ghost' });
    ds.spec.template.spec.priorityClassName = 'made-up';
    ds.spec.template.spec.volumes.push({ name: 'creds', secret: { secretName: 'creds' } });
    const problems = validateStream([ds]).join('\n');
    expect(problems).toContain('does not match the template');
    expect(problems).toContain('mounts volume ghost');
    expect(problems).toContain('service account node is not rendered');
    expect(problems).toContain('priority class made-up');
    expect(problems).toContain('needs Secret creds');
    expect(problems).toContain('volume creds is mounted by no container');
  });

  it('reports unquoted StorageClass parameters, unknown kinds and cluster-scoped objects with a namespace', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'sc', namespace: 'x' }, provisioner: 'disk.csi.qingcloud.com', parameters: { type: 2 } };
    const problems = validateObject(sc).join('\n');
    expect(problems).toContain('parameters.type: must be a string');
    expect(problems).toContain('StorageClass is cluster-scoped');
    expect(validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })[0]).toContain('not a kind this validator knows');
  });
});
