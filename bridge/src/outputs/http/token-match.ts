import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A constant-time check of a presented token. Both sides are reduced to HMAC-SHA-256 digests under a key drawn at
 * start, so the comparison always runs over 32 bytes: neither the expected token's length nor its content shows
 * in the time a wrong guess takes (comparing the tokens themselves would have to stop early on unequal lengths).
 */
export function tokenMatcher(token: string): (given: string) => boolean {
  const key = randomBytes(32);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  const expected = digest(token);
  return (given) => timingSafeEqual(digest(given), expected);
}
