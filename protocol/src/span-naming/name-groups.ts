/**
 * Laravel Pulse's `groups` for outgoing requests: the first pattern that matches rewrites the name, a RegExp through
 * `String.replace` (so `$1` works), a glob as a whole. Read only for slow spans, so it keeps no cache.
 */
export class NameGroups {
  constructor(private readonly rules: ReadonlyArray<{ pattern: RegExp; replacement: string }>) {}

  /** The name as its group rewrites it, or `undefined` when no pattern matches. */
  group(name: string): string | undefined {
    for (const { pattern, replacement } of this.rules) if (pattern.test(name)) return name.replace(pattern, replacement);
    return undefined;
  }
}
