import type { SimEngine } from '../engine.js';
import type { Params } from '../params.js';
import { page } from '../params.js';

/** Who is calling what. */
export interface CallContext {
  action: string;
  accessKeyId: string;
}

/** One API action: validates `params`, acts on the engine, returns the response fields besides action/ret_code. */
export type ActionHandler = (sim: SimEngine, params: Params, call: CallContext) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** A Describe* answer: one page of `items` as `<setName>` plus total_count of every match. */
export function listResult<T>(setName: string, items: readonly T[], params: Params, view: (item: T) => Record<string, unknown>): Record<string, unknown> {
  const paging = params.paging();
  return { [setName]: page(items, paging).map(view), total_count: items.length };
}

/** Records newest first (records keep insertion order, so reversing gives creation order descending). */
export function newestFirst<T>(records: Record<string, T>): T[] {
  return Object.values(records).reverse();
}

/** Case-insensitive substring match of `word` in any of `fields`; an absent word matches everything. */
export function matchesWord(word: string | undefined, ...fields: string[]): boolean {
  if (word === undefined || word === '') return true;
  const needle = word.toLowerCase();
  return fields.some((f) => f.toLowerCase().includes(needle));
}

/** Names and descriptions: printable text, at most 256 characters. */
export const NAME_OPTIONS = { maxLength: 256, pattern: /^\P{Cc}*$/u } as const;
