import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { clientKey } from './client-key.js';
import { GUESS_POLICY, GuessLimiter, type GuessPolicy } from './guess-limiter.js';
import { tokenMatcher } from './token-match.js';

/**
 * What `pulse_bridge_auth_failures_total{result}` counts, one per refused request: `missing` (401, no bearer token:
 * not a guess, never slows anyone), `wrong` (401, a wrong token), `untracked` (401, a wrong token from a client the
 * full table could not track on its own: judged by the shared entry), `throttled` (429, the token not looked at).
 */
const AUTH_FAILURE_RESULTS = ['missing', 'wrong', 'untracked', 'throttled'] as const;
type AuthFailureResult = (typeof AUTH_FAILURE_RESULTS)[number];

export interface AuthOptions {
  token: string | undefined;
  /** The token may also come as `?access_token=` on these paths (the SSE streams). */
  queryTokenPaths: readonly string[];
  failures: Counter<'result'>;
  log: Logger;
  /** Tests only: a policy with other numbers (a small table). */
  guessPolicy?: Partial<GuessPolicy>;
}

/**
 * A bearer token on everything but /healthz (and the Pulse page, served before this). Browsers' EventSource cannot
 * send headers, so the streams also take `?access_token=` (query strings are never logged by the bridge). Token
 * guessing is slowed per client (guess-limiter.ts), counted, and logged without the token.
 */
export function auth({ token, queryTokenPaths, failures, log, guessPolicy }: AuthOptions) {
  // Every result is exposed from the first scrape, at 0, with or without a token.
  for (const result of AUTH_FAILURE_RESULTS) failures.inc({ result }, 0);
  if (!token) return (_req: Request, _res: Response, next: NextFunction) => next();
  const matches = tokenMatcher(token);
  const guesses = new GuessLimiter({ ...GUESS_POLICY, ...guessPolicy }, log);
  const streams = new Set(queryTokenPaths);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/healthz' || req.method === 'OPTIONS') return next();
    // The scheme name is case-insensitive (RFC 7235): `bearer x` is `Bearer x`.
    const bearer = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    const fromQuery = streams.has(req.path) && typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const given = bearer ?? fromQuery;
    if (given === undefined) return refuse(res, failures, 'missing');
    const client = clientKey(req.socket.remoteAddress);
    // A waiting client's token is not looked at: a right one let through would tell a guesser which guess it was.
    const waitMs = guesses.admit(client);
    if (waitMs > 0) {
      failures.inc({ result: 'throttled' });
      res
        .set('Retry-After', String(Math.ceil(waitMs / 1000)))
        .status(429)
        .json({ error: 'too many wrong tokens from this address: retry later' });
      return;
    }
    if (matches(given)) return next();
    refuse(res, failures, guesses.failed(client) === 'own' ? 'wrong' : 'untracked');
  };
}

function refuse(res: Response, failures: Counter<'result'>, result: AuthFailureResult): void {
  failures.inc({ result });
  res.set('WWW-Authenticate', 'Bearer realm="pulse-bridge"').status(401).json({ error: 'a valid bearer token is required' });
}
