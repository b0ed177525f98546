import type { Redis } from 'ioredis';

/** An ACL user allowed every command and key but scripting (`EVAL`, `EVALSHA`, `FUNCTION`), as hardened setups grant. */
const USER = 'pulse-no-scripts';
const PASSWORD = 'no-scripts';

/** Adds the user without scripting on one server (on a cluster, on each node: ACLs are per node). */
export async function addUserWithoutScripts(node: Redis): Promise<void> {
  await node.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-@scripting');
}

/** `url` (`redis://host:port`) as that user. */
export function asUserWithoutScripts(url: string): string {
  const asUser = new URL(url);
  asUser.username = USER;
  asUser.password = PASSWORD;
  return asUser.href;
}
