/** The label value every value past the cap is folded into. */
export const OTHER = 'other';

/**
 * Caps the distinct values a label takes per app (routes, exception types), so that a writer sending a raw
 * path or a message as a route cannot blow up the series count. Values past the cap become `other`, counted.
 */
export class LabelCap {
  private readonly seen = new Map<string, Set<string>>();
  overflow = 0;

  constructor(
    private readonly maxPerApp: number,
    private readonly maxApps = 1_000,
  ) {}

  value(app: string, value: string): string {
    let values = this.seen.get(app);
    if (!values) {
      if (this.seen.size >= this.maxApps) {
        this.overflow++;
        return OTHER;
      }
      values = new Set();
      this.seen.set(app, values);
    }
    if (values.has(value)) return value;
    if (values.size >= this.maxPerApp) {
      this.overflow++;
      return OTHER;
    }
    values.add(value);
    return value;
  }
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** A known HTTP method, `OTHER` for anything else, `none` for jobs. */
export function methodLabel(method: string | undefined): string {
  if (method === undefined) return 'none';
  const upper = method.toUpperCase();
  return HTTP_METHODS.has(upper) ? upper : 'OTHER';
}
