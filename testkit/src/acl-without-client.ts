import type { Redis } from 'ioredis';

/** An ACL user allowed every command and key but `CLIENT` (so no client-side tracking), as some managed Redis grant. */
const USER = 'pulse-no-client';
const PASSWORD = 'no-client';

/** Adds the user without `CLIENT` on one server (on a cluster, on each node: ACLs are per node). */
export async function addUserWithoutClient(node: Redis): Promise<void> {
  await node.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-client');
}

/** `url` (`redis://host:port`) as that user. */
export function asUserWithoutClient(url: string): string {
  const asUser = new URL(url);
  asUser.username = USER;
  asUser.password = PASSWORD;
  return asUser.href;
}
