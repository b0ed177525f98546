// Display formats. Inputs are numbers the protocol already bounds; formats never throw on odd values.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(value: number): string {
  let v = Math.max(0, value);
  let unit = 0;
  while (v >= 1024 && unit < BYTE_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v >= 100 || unit === 0 ? v.toFixed(0) : v.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function percent(value: number): string {
  return `${value.toFixed(value >= 10 ? 0 : 1)} %`;
}

/** Seconds as "3 d 4 h", "2 h 5 min", "4 min 3 s", "42 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

export function millis(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Local HH:MM:SS, written by hand: Intl formatting, a thousand times per frame, is the slowest part of a card. */
export function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium', hour12: false });

export function dateTime(epochMs: number): string {
  return DATE_TIME.format(epochMs);
}
