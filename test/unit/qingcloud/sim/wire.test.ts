import { describe, expect, it } from 'vitest';
import { SimApiError } from '../../../../src/qingcloud/sim/errors.js';
import { parseForm } from '../../../../src/qingcloud/sim/wire.js';

describe('parseForm', () => {
  it('decodes %XX and "+" as space', () => {
    expect(parseForm('a=my+disk%2F%C3%A4&b=x%20y&empty=&flag')).toEqual(
      new Map([['a', 'my disk/ä'], ['b', 'x y'], ['empty', ''], ['flag', '']]),
    );
  });

  it('rejects malformed escapes and repeated names with 1100', () => {
    for (const bad of ['a=%E0%A4%A', 'a=%zz', 'a=1&a=2', '=x']) {
      expect(() => parseForm(bad), bad).toThrow(SimApiError);
    }
  });
});
