/**
 * Which Pulse writes for which app and server id in this process. Two Pulses with the same identity
 * would write every slow and error entry twice (and race on the heartbeat key), so the first one to
 * resolve an identity owns it and any later one writes nothing for it. The registry lives on
 * `globalThis` under a `Symbol.for` key so that two copies of this package (a bundled one and a
 * hoisted one) still see each other.
 */
const REGISTRY_KEY = Symbol.for('gravito.pulse.identity-claims');

type Registry = Map<string, object>;

function registry(): Registry {
  const g = globalThis as { [REGISTRY_KEY]?: Registry };
  g[REGISTRY_KEY] ??= new Map();
  return g[REGISTRY_KEY];
}

const keyOf = (app: string, serverId: string) => `${app}\n${serverId}`;

/** true when `owner` holds (or now takes) the identity; false when another Pulse holds it. */
export function claimIdentity(app: string, serverId: string, owner: object): boolean {
  const claims = registry();
  const key = keyOf(app, serverId);
  const holder = claims.get(key);
  if (holder === undefined) {
    claims.set(key, owner);
    return true;
  }
  return holder === owner;
}

/** Frees every identity `owner` holds (on shutdown), so a new Pulse can take over. */
export function releaseIdentities(owner: object): void {
  const claims = registry();
  for (const [key, holder] of claims) if (holder === owner) claims.delete(key);
}
