import type { Redis } from 'ioredis';

/**
 * ACL users allowed every key and command but what each is withheld, as hardened or managed setups grant. Each is
 * added on one server (on a cluster, on each node: ACLs are per node); its password is its name.
 */
const USERS = {
  /** No scripting (`EVAL`, `EVALSHA`, `FUNCTION`). */
  noScripts: { name: 'pulse-no-scripts', withheld: ['-@scripting'] },
  /** Neither scripting nor transactions (`WATCH`, `MULTI`, `EXEC`). */
  noTransactions: { name: 'pulse-no-transactions', withheld: ['-@scripting', '-@transaction'] },
  /** No setting a time to live (`PEXPIRE`, `PEXPIREAT`), with scripting. */
  noExpiry: { name: 'pulse-no-expiry', withheld: ['-pexpire', '-pexpireat'] },
  /** No setting a time to live, and no scripting. */
  noExpiryNoScripts: { name: 'pulse-no-expiry-no-scripts', withheld: ['-pexpire', '-pexpireat', '-@scripting'] },
  /** No `CLIENT`, so no client-side tracking. */
  noClient: { name: 'pulse-no-client', withheld: ['-client'] },
  /** No `GETRANGE`, so no pipelined heartbeat read. */
  noGetrange: { name: 'pulse-no-getrange', withheld: ['-getrange'] },
  /** Nothing withheld at first: a test takes rights away while its bridge runs (`changeUserOf`). */
  changed: { name: 'pulse-changed', withheld: [] },
} as const;
type User = (typeof USERS)[keyof typeof USERS];

async function addUser(node: Redis, { name, withheld }: User): Promise<void> {
  await node.call('ACL', 'SETUSER', name, 'on', `>${name}`, '~*', '&*', '+@all', ...withheld);
}

/** `url` (`redis://host:port`) as `user`. */
function asUser(url: string, { name }: User): string {
  const as = new URL(url);
  as.username = name;
  as.password = name;
  return as.href;
}

export const addUserWithoutScripts = (node: Redis) => addUser(node, USERS.noScripts);
export const asUserWithoutScripts = (url: string) => asUser(url, USERS.noScripts);

export const addUserWithoutTransactions = (node: Redis) => addUser(node, USERS.noTransactions);
export const asUserWithoutTransactions = (url: string) => asUser(url, USERS.noTransactions);

/** Both users that may not set a time to live, the one with scripting and the one without. */
export async function addUsersWithoutExpiry(node: Redis): Promise<void> {
  await addUser(node, USERS.noExpiry);
  await addUser(node, USERS.noExpiryNoScripts);
}
export const asUserWithoutExpiry = (url: string, { scripts }: { scripts: boolean }) =>
  asUser(url, scripts ? USERS.noExpiry : USERS.noExpiryNoScripts);

export const addUserWithoutClient = (node: Redis) => addUser(node, USERS.noClient);
export const asUserWithoutClient = (url: string) => asUser(url, USERS.noClient);

export const addUserWithoutGetrange = (node: Redis) => addUser(node, USERS.noGetrange);
export const asUserWithoutGetrange = (url: string) => asUser(url, USERS.noGetrange);

export const addUserToChange = (node: Redis) => addUser(node, USERS.changed);
export const asUserToChange = (url: string) => asUser(url, USERS.changed);

/**
 * Changes the rules of the user `url` logs in as (`+client`, `-getrange`): an ACL changed while its clients stay
 * connected.
 */
export async function changeUserOf(node: Redis, url: string, ...rules: string[]): Promise<void> {
  await node.call('ACL', 'SETUSER', new URL(url).username, ...rules);
}

/** Removes the user `url` logs in as (a test's user on a server other tests share). */
export async function removeUserOf(node: Redis, url: string): Promise<void> {
  await node.call('ACL', 'DELUSER', new URL(url).username);
}

/** Closes every connection of the user `url` logs in as: its clients reconnect, as after a network failure. */
export async function killConnectionsOf(node: Redis, url: string): Promise<void> {
  await node.call('CLIENT', 'KILL', 'USER', new URL(url).username);
}
