import { invalidParam } from './errors.js';

/** Well-formed resource ids by kind (qingcloud-api.md §5: prefix + 8 chars of [a-z0-9]; jobs 8-11; vxnets shorter). */
export const ID_PATTERNS = {
  volume: /^vol-[a-z0-9]{8}$/,
  instance: /^i-[a-z0-9]{8}$/,
  snapshot: /^ss-[a-z0-9]{8}$/,
  tag: /^tag-[a-z0-9]{8}$/,
  job: /^j-[a-z0-9]{8,16}$/,
  vxnet: /^vxnet-[a-z0-9]{1,16}$/,
  router: /^rtr-[a-z0-9]{8}$/,
  nic: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/,
} as const;

/** A kind of resource id the simulator validates. */
export type IdKind = keyof typeof ID_PATTERNS;

/** Hard caps that keep a hostile request from costing memory or time. */
export const PARAM_LIMITS = {
  maxListItems: 1000,
  maxListIndex: 100_000,
  maxStringLength: 4096,
  maxIntDigits: 15,
} as const;

/** Default and maximum page size of Describe* calls (qingcloud-api.md §3.1). */
export const PAGE = { defaultLimit: 20, maxLimit: 100 } as const;

/** Shows a client value inside an error message without echoing something huge. */
export function quote(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}...(${value.length} chars)` : value;
  return JSON.stringify(shown);
}

/** Options of Params.str. */
export interface StrOptions {
  required?: boolean;
  maxLength?: number;
  pattern?: RegExp;
  /** Allowed values; checked after pattern. */
  oneOf?: readonly string[];
}

/** Options of Params.int. */
export interface IntOptions {
  required?: boolean;
  min: number;
  max: number;
}

/** Options of Params.list. */
export interface ListOptions {
  required?: boolean;
  maxItems?: number;
  pattern?: RegExp;
  maxLength?: number;
  oneOf?: readonly string[];
}

const DECIMAL = /^-?\d+$/;
const LIST_INDEX = /^(0|[1-9]\d*)$/;

/**
 * Typed, validated access to one request's decoded parameters. Every accessor throws 1100 with the parameter's
 * name and what is expected, so a malformed request never reaches the resource logic.
 */
export class Params {
  private readonly values: ReadonlyMap<string, string>;

  constructor(values: ReadonlyMap<string, string> | Readonly<Record<string, string>>) {
    this.values = values instanceof Map ? values : new Map(Object.entries(values));
  }

  /** True when the parameter was sent (also with an empty value). */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A raw value, unvalidated. */
  raw(name: string): string | undefined {
    return this.values.get(name);
  }

  /** A string parameter; empty counts as missing when required. */
  str(name: string, options: StrOptions & { required: true }): string;
  str(name: string, options?: StrOptions): string | undefined;
  str(name: string, options: StrOptions = {}): string | undefined {
    const value = this.values.get(name);
    if (value === undefined || (options.required && value === '')) {
      if (options.required) throw invalidParam(`parameter [${name}] is required`);
      return undefined;
    }
    checkString(name, value, options);
    return value;
  }

  /** A decimal integer within [min, max]; anything else (floats, hex, huge numbers) is 1100. */
  int(name: string, options: IntOptions & { required: true }): number;
  int(name: string, options: IntOptions): number | undefined;
  int(name: string, options: IntOptions): number | undefined {
    const value = this.values.get(name);
    if (value === undefined || value === '') {
      if (options.required) throw invalidParam(`parameter [${name}] is required`);
      return undefined;
    }
    return parseIntParam(name, value, options.min, options.max);
  }

  /** A 0/1 flag (also accepts true/false). */
  flag(name: string): boolean | undefined {
    const value = this.values.get(name);
    if (value === undefined || value === '') return undefined;
    if (value === '1' || value === 'true') return true;
    if (value === '0' || value === 'false') return false;
    throw invalidParam(`parameter [${name}] must be 0 or 1, got ${quote(value)}`);
  }

  /**
   * A list sent as `name.1`, `name.2`, ... (any non-negative indices, ordered numerically; the SDKs start at 1,
   * Go's tests at 0). Duplicates are dropped. A malformed index (`name.x`, `name.01`) is 1100.
   */
  list(name: string, options: ListOptions = {}): string[] {
    const maxItems = options.maxItems ?? PARAM_LIMITS.maxListItems;
    const prefix = `${name}.`;
    const items: { index: number; value: string }[] = [];
    for (const [key, value] of this.values) {
      if (!key.startsWith(prefix)) continue;
      const index = key.slice(prefix.length);
      if (!LIST_INDEX.test(index) || Number(index) > PARAM_LIMITS.maxListIndex) {
        if (index.includes('.')) continue; // name.N.field belongs to objectList
        throw invalidParam(`list parameter [${key}] has a malformed index; send ${name}.1, ${name}.2, ...`);
      }
      items.push({ index: Number(index), value });
      if (items.length > maxItems) throw invalidParam(`list parameter [${name}] has more than ${maxItems} items`);
    }
    items.sort((a, b) => a.index - b.index);
    const out: string[] = [];
    for (const item of items) {
      if (item.value === '') continue;
      checkString(`${name}.${item.index}`, item.value, options);
      if (!out.includes(item.value)) out.push(item.value);
    }
    if (options.required && out.length === 0) throw invalidParam(`parameter [${name}.1] is required`);
    return out;
  }

  /** A list parameter that may also come as one plain value (`status=in-use`) or comma-separated (`status=a,b`). */
  listOrSingle(name: string, options: ListOptions = {}): string[] {
    const fromList = this.list(name, options);
    const single = this.values.get(name);
    if (single === undefined || single === '') return fromList;
    for (const part of single.split(',')) {
      const value = part.trim();
      if (value === '') continue;
      checkString(name, value, options);
      if (!fromList.includes(value)) fromList.push(value);
    }
    return fromList;
  }

  /** A list of well-formed resource ids. */
  ids(name: string, kind: IdKind, options: { required?: boolean; maxItems?: number } = {}): string[] {
    return this.list(name, { ...options, pattern: ID_PATTERNS[kind] });
  }

  /** One well-formed resource id. */
  id(name: string, kind: IdKind, options: { required: true }): string;
  id(name: string, kind: IdKind, options?: { required?: boolean }): string | undefined;
  id(name: string, kind: IdKind, options: { required?: boolean } = {}): string | undefined {
    return this.str(name, { ...options, pattern: ID_PATTERNS[kind] });
  }

  /**
   * A list of objects sent as `name.N.field=value` (e.g. resource_tag_pairs.1.tag_id). Every item must carry
   * every field in `fields`; unknown fields are 1100.
   */
  objectList(name: string, fields: readonly string[], options: { required?: boolean; maxItems?: number } = {}): Record<string, string>[] {
    const maxItems = options.maxItems ?? PARAM_LIMITS.maxListItems;
    const prefix = `${name}.`;
    const byIndex = new Map<number, Record<string, string>>();
    for (const [key, value] of this.values) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const dot = rest.indexOf('.');
      const index = dot < 0 ? rest : rest.slice(0, dot);
      const field = dot < 0 ? '' : rest.slice(dot + 1);
      if (!LIST_INDEX.test(index) || Number(index) > PARAM_LIMITS.maxListIndex || !fields.includes(field)) {
        throw invalidParam(`parameter [${key}] is malformed; send ${name}.N.{${fields.join(',')}}`);
      }
      checkString(key, value, {});
      let item = byIndex.get(Number(index));
      if (item === undefined) {
        if (byIndex.size >= maxItems) throw invalidParam(`list parameter [${name}] has more than ${maxItems} items`);
        item = {};
        byIndex.set(Number(index), item);
      }
      item[field] = value;
    }
    const out = [...byIndex.entries()].sort((a, b) => a[0] - b[0]);
    for (const [index, item] of out) {
      for (const field of fields) {
        if (!item[field]) throw invalidParam(`parameter [${name}.${index}.${field}] is required`);
      }
    }
    if (options.required && out.length === 0) throw invalidParam(`parameter [${name}.1.${fields[0] ?? ''}] is required`);
    return out.map(([, item]) => item);
  }

  /** offset/limit of a Describe call: limit defaults to 20 and is capped at 100. */
  paging(): { offset: number; limit: number } {
    const offset = this.int('offset', { min: 0, max: 1_000_000_000 }) ?? 0;
    const limit = this.int('limit', { min: 0, max: 1_000_000_000 }) ?? PAGE.defaultLimit;
    return { offset, limit: Math.min(limit === 0 ? PAGE.defaultLimit : limit, PAGE.maxLimit) };
  }
}

/** Parses a decimal integer parameter in [min, max] or throws 1100. */
export function parseIntParam(name: string, value: string, min: number, max: number): number {
  const digits = value.startsWith('-') ? value.length - 1 : value.length;
  if (!DECIMAL.test(value) || digits > PARAM_LIMITS.maxIntDigits) {
    throw invalidParam(`parameter [${name}] must be a decimal integer, got ${quote(value)}`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidParam(`parameter [${name}] must be between ${min} and ${max}, got ${quote(value)}`);
  }
  return n;
}

function checkString(name: string, value: string, options: StrOptions): void {
  const maxLength = options.maxLength ?? PARAM_LIMITS.maxStringLength;
  if (value.length > maxLength) throw invalidParam(`parameter [${name}] is longer than ${maxLength} characters`);
  if (options.pattern && !options.pattern.test(value)) {
    throw invalidParam(`parameter [${name}] has a malformed value ${quote(value)}`);
  }
  if (options.oneOf && !options.oneOf.includes(value)) {
    throw invalidParam(`parameter [${name}] must be one of ${options.oneOf.join(', ')}, got ${quote(value)}`);
  }
}

/** The page `[offset, offset+limit)` of `items`; past the end gives an empty page. */
export function page<T>(items: readonly T[], paging: { offset: number; limit: number }): T[] {
  return items.slice(paging.offset, paging.offset + paging.limit);
}
