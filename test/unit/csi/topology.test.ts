import { describe, expect, it } from 'vitest';
import { accessibleTopology, nodeTopology, placeVolume, topologyKeys } from '../../../src/csi/topology.js';
import { INSTANCE_CLASSES, VOLUME_TYPES } from '../../../src/qingcloud/volume-types.js';

const catalog = { volumeTypes: VOLUME_TYPES, instanceClasses: INSTANCE_CLASSES };
const keys = topologyKeys('disk.csi.qingcloud.com');
const options = { zone: 'pek3a', keys, catalog, defaultType: 0 };
const node = (type: string, zone = 'pek3a') => ({ [keys.zone]: zone, [keys.instanceType]: type });

describe('placeVolume', () => {
  it('uses the topology keys QingCloud\'s driver uses', () => {
    expect(keys).toEqual({ zone: 'topology.disk.csi.qingcloud.com/zone', instanceType: 'topology.disk.csi.qingcloud.com/instance-type' });
  });

  it('picks performance disk for a performance node and super-high-performance disk for an SHP node', () => {
    expect(placeVolume({ preferred: [node('HighPerformance')], requisite: [] }, undefined, options).volumeType).toBe(0);
    expect(placeVolume({ preferred: [node('SuperHighPerformance')], requisite: [] }, undefined, options).volumeType).toBe(3);
  });

  it('keeps an explicit capacity type when the node can attach it', () => {
    expect(placeVolume({ preferred: [node('SuperHighPerformance')], requisite: [] }, 2, options)).toEqual({ zone: 'pek3a', volumeType: 2, instanceClass: 1 });
  });

  it('skips candidates in another zone or unable to attach the type, in order', () => {
    expect(() => placeVolume({ preferred: [node('HighPerformance', 'sh1a'), node('HighPerformance')], requisite: [] }, 3, options)).toThrow(
      /zone sh1a is not this driver's zone pek3a; instance type HighPerformance cannot attach volume type 3/,
    );
    expect(placeVolume({ preferred: [node('HighPerformance')], requisite: [node('Enterprise1')] }, 3, options).instanceClass).toBe(201);
  });

  it('falls back to the default type without requirements or without an instance-type segment', () => {
    expect(placeVolume(undefined, undefined, options)).toEqual({ zone: 'pek3a', volumeType: 0 });
    expect(placeVolume({ preferred: [{ [keys.zone]: 'pek3a' }], requisite: [] }, undefined, options).volumeType).toBe(0);
  });
});

describe('accessibleTopology and nodeTopology', () => {
  it('lists one topology per instance class that can attach the type', () => {
    const topo = accessibleTopology(3, 'pek3a', keys, catalog);
    expect(topo.map((t) => t[keys.instanceType])).toEqual(['SuperHighPerformance', 'Enterprise1', 'Enterprise2', 'Premium']);
  });

  it('registers a node of an unknown instance class with its zone only', () => {
    expect(nodeTopology('pek3a', 9999, keys, catalog)).toEqual({ [keys.zone]: 'pek3a' });
    expect(nodeTopology('pek3a', 1, keys, catalog)).toEqual({ [keys.zone]: 'pek3a', [keys.instanceType]: 'SuperHighPerformance' });
  });
});
