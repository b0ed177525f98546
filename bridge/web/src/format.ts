// Display formats. Inputs are numbers the protocol already bounds; formats never throw on odd values.

/** A no-break space: a number and its unit, and the words of one value, are joined by it, never split across lines. */
export const NBSP = '\u00a0';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(value: number): string {
  let v = Math.max(0, value);
  let unit = 0;
  while (v >= 1024 && unit < BYTE_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v >= 100 || unit === 0 ? v.toFixed(0) : v.toFixed(1)}${NBSP}${BYTE_UNITS[unit]}`;
}

export function percent(value: number): string {
  return `${value.toFixed(value >= 10 ? 0 : 1)}${NBSP}%`;
}

const DAY_S = 86_400;
const YEAR_S = 365 * DAY_S;
/** Past this an uptime is a clock or an agent gone wrong, not a process: "> 100 y" rather than eleven digits of days. */
const MAX_YEARS = 100;

/** Seconds as "2 y 40 d", "3 d 4 h", "2 h 5 min", "4 min 3 s", "42 s", or "> 100 y". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s > MAX_YEARS * YEAR_S) return `>${NBSP}${MAX_YEARS}${NBSP}y`;
  const y = Math.floor(s / YEAR_S);
  const d = Math.floor((s % YEAR_S) / DAY_S);
  const h = Math.floor((s % DAY_S) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const join = (...parts: (number | string)[]) => parts.join(NBSP);
  if (y > 0) return join(y, 'y', d, 'd');
  if (d > 0) return join(d, 'd', h, 'h');
  if (h > 0) return join(h, 'h', m, 'min');
  if (m > 0) return join(m, 'min', s % 60, 's');
  return join(s, 's');
}

export function millis(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}${NBSP}s` : `${ms.toFixed(ms >= 10 ? 0 : 1)}${NBSP}ms`;
}

/** "1 server", "0 servers", "2 servers": the noun (a regular one) agrees with the count. */
export function pluralize(count: number, noun: string): string {
  return `${count}${NBSP}${count === 1 ? noun : `${noun}s`}`;
}

/** A rate with its unit, e.g. "0.4 slow/min". */
export function perMinute(rate: number, what: string): string {
  return `${rate.toFixed(1)}${NBSP}${what}/min`;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Local HH:MM:SS, written by hand: Intl formatting, a thousand times per frame, is the slowest part of a card. */
export function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium', hour12: false });

export function dateTime(epochMs: number): string {
  return DATE_TIME.format(epochMs).replaceAll(' ', NBSP);
}
