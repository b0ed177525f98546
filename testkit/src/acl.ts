import type { Redis } from 'ioredis';

/** An ACL user allowed every command and key but scripting (`EVAL`, `EVALSHA`, `FUNCTION`), as hardened setups grant. */
const USER = 'pulse-no-scripts';
const PASSWORD = 'no-scripts';
/** One allowed neither scripting nor transactions (`WATCH`, `MULTI`, `EXEC`). */
const USER_WITHOUT_TRANSACTIONS = 'pulse-no-transactions';
const PASSWORD_WITHOUT_TRANSACTIONS = 'no-transactions';
/** Ones allowed every command but setting a time to live (`PEXPIRE`, `PEXPIREAT`), with scripting and without. */
const USER_WITHOUT_EXPIRY = { scripts: 'pulse-no-expiry', noScripts: 'pulse-no-expiry-no-scripts' } as const;
const PASSWORD_WITHOUT_EXPIRY = 'no-expiry';

/** Adds the user without scripting on one server (on a cluster, on each node: ACLs are per node). */
export async function addUserWithoutScripts(node: Redis): Promise<void> {
  await node.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-@scripting');
}

/** Adds the user without scripting or transactions on one server. */
export async function addUserWithoutTransactions(node: Redis): Promise<void> {
  await node.call(
    'ACL',
    'SETUSER',
    USER_WITHOUT_TRANSACTIONS,
    'on',
    `>${PASSWORD_WITHOUT_TRANSACTIONS}`,
    '~*',
    '&*',
    '+@all',
    '-@scripting',
    '-@transaction',
  );
}

/** Adds the users that may not set a time to live, one with scripting and one without, on one server. */
export async function addUsersWithoutExpiry(node: Redis): Promise<void> {
  const grant = ['on', `>${PASSWORD_WITHOUT_EXPIRY}`, '~*', '&*', '+@all', '-pexpire', '-pexpireat'];
  await node.call('ACL', 'SETUSER', USER_WITHOUT_EXPIRY.scripts, ...grant);
  await node.call('ACL', 'SETUSER', USER_WITHOUT_EXPIRY.noScripts, ...grant, '-@scripting');
}

function asUser(url: string, username: string, password: string): string {
  const as = new URL(url);
  as.username = username;
  as.password = password;
  return as.href;
}

/** `url` (`redis://host:port`) as the user without scripting. */
export function asUserWithoutScripts(url: string): string {
  return asUser(url, USER, PASSWORD);
}

/** `url` as the user without scripting or transactions. */
export function asUserWithoutTransactions(url: string): string {
  return asUser(url, USER_WITHOUT_TRANSACTIONS, PASSWORD_WITHOUT_TRANSACTIONS);
}

/** `url` as a user that may not set a time to live, with scripting or without. */
export function asUserWithoutExpiry(url: string, { scripts }: { scripts: boolean }): string {
  return asUser(url, scripts ? USER_WITHOUT_EXPIRY.scripts : USER_WITHOUT_EXPIRY.noScripts, PASSWORD_WITHOUT_EXPIRY);
}
