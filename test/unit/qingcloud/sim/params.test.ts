import { describe, expect, it } from 'vitest';
import { SimApiError } from '../../../../src/qingcloud/sim/errors.js';
import { page, Params, parseIntParam } from '../../../../src/qingcloud/sim/params.js';

function retCode(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof SimApiError ? err.retCode : -1;
  }
}

describe('Params', () => {
  it('reads decimal integers within bounds and rejects everything else with 1100', () => {
    expect(parseIntParam('size', '20', 1, 100)).toBe(20);
    expect(parseIntParam('n', '-5', -10, 10)).toBe(-5);
    for (const bad of ['', '1.5', '1e3', '0x10', ' 1', '101', '0', '9'.repeat(16), '+3']) {
      expect(retCode(() => parseIntParam('size', bad, 1, 100)), bad).toBe(1100);
    }
  });

  it('collects name.N lists in numeric order, drops duplicates and empties, and rejects malformed indices', () => {
    const p = new Params({ 'volumes.10': 'c', 'volumes.2': 'b', 'volumes.1': 'a', 'volumes.3': 'a', 'volumes.4': '' });
    expect(p.list('volumes')).toEqual(['a', 'b', 'c']);
    expect(new Params({ 'volumes.0': 'x' }).list('volumes')).toEqual(['x']);
    expect(retCode(() => new Params({ 'volumes.01': 'x' }).list('volumes'))).toBe(1100);
    expect(retCode(() => new Params({ 'volumes.x': 'x' }).list('volumes'))).toBe(1100);
    expect(retCode(() => new Params({}).list('volumes', { required: true }))).toBe(1100);
    expect(retCode(() => new Params({ 'volumes.1': 'a', 'volumes.2': 'b' }).list('volumes', { maxItems: 1 }))).toBe(1100);
  });

  it('validates id lists against the id shape of their kind', () => {
    expect(new Params({ 'nics.1': '52:54:9e:d0:dd:96' }).ids('nics', 'nic')).toEqual(['52:54:9e:d0:dd:96']);
    expect(retCode(() => new Params({ 'nics.1': '52-54-9e-d0-dd-96' }).ids('nics', 'nic'))).toBe(1100);
    expect(retCode(() => new Params({ instance: 'i-123' }).id('instance', 'instance'))).toBe(1100);
    expect(new Params({ instance: 'i-abcd1234' }).id('instance', 'instance')).toBe('i-abcd1234');
  });

  it('accepts single and comma-separated values where a list is also allowed', () => {
    expect(new Params({ status: 'available,in-use', 'status.1': 'pending' }).listOrSingle('status')).toEqual(['pending', 'available', 'in-use']);
  });

  it('reads lists of objects and requires every field of every item', () => {
    const p = new Params({ 'pairs.1.a': 'x', 'pairs.1.b': 'y', 'pairs.2.a': 'z', 'pairs.2.b': 'w' });
    expect(p.objectList('pairs', ['a', 'b'])).toEqual([{ a: 'x', b: 'y' }, { a: 'z', b: 'w' }]);
    expect(retCode(() => new Params({ 'pairs.1.a': 'x' }).objectList('pairs', ['a', 'b']))).toBe(1100);
    expect(retCode(() => new Params({ 'pairs.1.c': 'x' }).objectList('pairs', ['a', 'b']))).toBe(1100);
  });

  it('pages with default limit 20, a cap of 100, and empty pages past the end', () => {
    const items = Array.from({ length: 150 }, (_, i) => i);
    expect(page(items, new Params({}).paging())).toHaveLength(20);
    expect(page(items, new Params({ limit: '1000' }).paging())).toHaveLength(100);
    expect(page(items, new Params({ offset: '140', limit: '50' }).paging())).toEqual(items.slice(140));
    expect(page(items, new Params({ offset: '500' }).paging())).toEqual([]);
    expect(retCode(() => new Params({ offset: '-1' }).paging())).toBe(1100);
  });

  it('rejects over-long strings and values outside oneOf', () => {
    expect(retCode(() => new Params({ s: 'x'.repeat(5000) }).str('s'))).toBe(1100);
    expect(retCode(() => new Params({ s: 'b' }).str('s', { oneOf: ['a'] }))).toBe(1100);
    expect(retCode(() => new Params({ s: '' }).str('s', { required: true }))).toBe(1100);
    expect(new Params({ f: '1' }).flag('f')).toBe(true);
    expect(retCode(() => new Params({ f: 'yes' }).flag('f'))).toBe(1100);
  });
});
