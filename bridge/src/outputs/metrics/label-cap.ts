/** The label value every value past the cap is folded into. */
export const OTHER = 'other';

/**
 * Bytes of distinct label values one cap admits in all, across apps. A value may be long (a route, a job name or
 * a query's normalized statement: 256 characters, up to 1 KiB of UTF-8), and the count caps alone would allow
 * 1,000 apps × 100 values × 1 KiB = 100 MB of label text, repeated in every series and every scrape. 4 MiB holds
 * 1,000 apps × 100 typical 40-byte routes.
 */
export const LABEL_BYTES = 4 * 1024 * 1024;

/**
 * Caps the distinct values a label takes per app (routes, exception types), so that a writer sending a raw
 * path or a message as a route cannot blow up the series count; and the bytes of those values in all, so that
 * long values cannot blow up the exposition either. Values past a cap become `other`, counted in `overflow`.
 * A "group" is usually an app; the slow-entry metrics cap each (app, kind) on its own, so that an app's queries
 * cannot take the places of its routes.
 */
export class LabelCap {
  private readonly seen = new Map<string, Set<string>>();
  private bytes = 0;
  overflow = 0;

  constructor(
    private readonly maxPerGroup: number,
    private readonly maxGroups = 1_000,
    private readonly maxBytes = LABEL_BYTES,
  ) {}

  value(group: string, value: string): string {
    let values = this.seen.get(group);
    if (values?.has(value)) return value;
    const size = Buffer.byteLength(value);
    if ((!values && this.seen.size >= this.maxGroups) || (values?.size ?? 0) >= this.maxPerGroup || this.bytes + size > this.maxBytes) {
      this.overflow++;
      return OTHER;
    }
    if (!values) {
      values = new Set();
      this.seen.set(group, values);
    }
    values.add(value);
    this.bytes += size;
    return value;
  }
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** A known HTTP method, `OTHER` for anything else, `none` for jobs and queries. */
export function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'none';
  const upper = method.toUpperCase();
  return HTTP_METHODS.has(upper) ? upper : 'OTHER';
}
