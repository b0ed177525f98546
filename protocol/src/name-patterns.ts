/**
 * Route and job name patterns, as in Laravel Pulse's recorder config: a string is a glob where `*`
 * matches any run of characters (slashes included) and the whole name must match; a RegExp is used
 * as given (unanchored, like Laravel's regex keys).
 */
export type NamePattern = string | RegExp;

export function compilePattern(pattern: NamePattern): RegExp {
  if (pattern instanceof RegExp) {
    // A global or sticky RegExp keeps state between test() calls; drop those flags.
    return pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
  }
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

/** Thresholds in ms per pattern, first match wins; names seen before are answered from a bounded cache. */
export class ThresholdMatcher {
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly rules: ReadonlyArray<{ pattern: RegExp; ms: number }>,
    readonly defaultMs: number,
    private readonly cacheSize = 1_000,
  ) {}

  /** The smallest threshold of all: spans shorter than it are never slow, whatever their name. */
  get minimumMs(): number {
    let min = this.defaultMs;
    for (const rule of this.rules) if (rule.ms < min) min = rule.ms;
    return min;
  }

  thresholdFor(name: string): number {
    if (this.rules.length === 0) return this.defaultMs;
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    let ms = this.defaultMs;
    for (const rule of this.rules) {
      if (rule.pattern.test(name)) {
        ms = rule.ms;
        break;
      }
    }
    // Route names are few, but a bad instrumentation could make them unbounded: cap the cache.
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(name, ms);
    return ms;
  }
}

export class NameFilter {
  private readonly cache = new Map<string, boolean>();

  constructor(
    private readonly patterns: readonly RegExp[],
    private readonly cacheSize = 1_000,
  ) {}

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  matches(name: string): boolean {
    if (this.patterns.length === 0) return false;
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const hit = this.patterns.some((p) => p.test(name));
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(name, hit);
    return hit;
  }
}
