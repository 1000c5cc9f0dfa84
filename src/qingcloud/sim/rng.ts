/** A source of uniformly distributed numbers in [0, 1); seeded so a run can be reproduced. */
export type Random = () => number;

/** mulberry32: a tiny, fast, seedable PRNG (statistically fine for ids, latencies and fault rates). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], both inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters from [a-z0-9], the alphabet of QingCloud resource ids. */
export function randomSuffix(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += LOWER_ALNUM[Math.floor(random() * LOWER_ALNUM.length)];
  return out;
}
