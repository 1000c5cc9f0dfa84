/** A scalar request value. */
export type Scalar = string | number | boolean;

/** One item of a list-of-objects parameter (e.g. resource_tag_pairs.N.tag_id). */
export type ParamItem = Readonly<Record<string, Scalar | readonly Scalar[] | undefined | null>>;

/** A request parameter before flattening; undefined and null are dropped. */
export type ParamValue = Scalar | readonly Scalar[] | readonly ParamItem[] | undefined | null;

/** Request parameters of an action, as the typed actions build them. */
export type ApiParams = Readonly<Record<string, ParamValue>>;

function scalar(name: string, value: Scalar): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`QingCloud parameter ${name} is ${value}; pass a finite number`);
    // Decimal text, never exponent notation (1e21 would otherwise print as "1e+21").
    return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  }
  return value;
}

function isItem(value: unknown): value is ParamItem {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Flattens params to wire form (qingcloud-api.md §1): lists become 1-based `name.N`, lists of objects
 * `name.N.field`, a list inside an item is comma-joined (as the Go SDK does), booleans `1`/`0`, numbers
 * decimal; undefined and null are dropped, empty strings kept.
 */
export function flattenParams(params: ApiParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) {
      out[name] = scalar(name, value as Scalar);
      continue;
    }
    (value as readonly (Scalar | ParamItem)[]).forEach((element, index) => {
      const key = `${name}.${index + 1}`;
      if (!isItem(element)) {
        out[key] = scalar(key, element);
        return;
      }
      for (const [field, fieldValue] of Object.entries(element)) {
        if (fieldValue === undefined || fieldValue === null) continue;
        const fieldKey = `${key}.${field}`;
        out[fieldKey] = Array.isArray(fieldValue)
          ? (fieldValue as readonly Scalar[]).map((v) => scalar(fieldKey, v)).join(',')
          : scalar(fieldKey, fieldValue as Scalar);
      }
    });
  }
  return out;
}
