/**
 * A short fingerprint of a text: its length and two 32-bit FNV-style hashes. Used to remember what was read
 * (exception members, slow-entry identities) in a few bytes instead of the text itself; a collision needs two
 * texts of the same length agreeing on 64 bits.
 */
export function textHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x2545f491;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `${text.length}:${(h1 >>> 0).toString(36)}${(h2 >>> 0).toString(36)}`;
}
