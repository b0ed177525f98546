/**
 * `text` cut to at most `max` UTF-16 code units, never through a surrogate pair: the schemas' `maxLength` counts code
 * units, and half a pair would become U+FFFD in JSON.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
