import { TEXT_LIMITS } from '../constants.js';
import { truncateText } from '../text.js';

/**
 * Database systems (`db.system` / `db.system.name`) whose double quotes quote identifiers (`"users"."id"`) and whose
 * strings take no backslash escapes, as standard SQL says. Everywhere else (MySQL, MariaDB, Redis, MongoDB, anything
 * unknown) a double-quoted run is a value and a backslash escapes the next character: when unsure, more is hidden.
 */
const STANDARD_SQL = new Set([
  'postgresql',
  'cockroachdb',
  'sqlite',
  'oracle',
  'oracle.db',
  'mssql',
  'microsoft.sql_server',
  'db2',
  'ibm.db2',
  'h2',
  'hsqldb',
  'derby',
  'trino',
  'snowflake',
]);

/** Where `[…]` quotes an identifier; elsewhere it is an array subscript or literal, whose values are hidden. */
const BRACKETED_IDENTIFIERS = new Set(['mssql', 'microsoft.sql_server']);

/** Only the start of a huge statement is read: the name keeps at most TEXT_LIMITS.name characters anyway. */
const MAX_SCANNED = 4_096;

const LITERAL = '?';
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordChar = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** `IN (?, ?, ?)` and `IN ($1, $2)`: one group whatever the list's length. */
const IN_LIST = /\b(IN) ?\( ?(?:\?|\$\d+)(?: ?, ?(?:\?|\$\d+))* ?\)/gi;
/** A string's prefix letter just before its quote: N'…', X'…', B'…', E'…' (E'…' takes backslash escapes). */
const STRING_PREFIX = /(?:^|[^A-Za-z0-9_$])([eEnNbBxX])$/;
/** `VALUES (?, ?), (?, ?), …`: repeats of the same tuple of placeholders, kept once (with a last one cut short). */
const REPEATED_TUPLES = /(\( ?\?(?: ?, ?\?)* ?\))(?: ?, ?\1)+(?: ?, ?\([ ?,]*$)?/g;

/** Index just past the end of a quoted run that starts at `start` (the quote itself); the end of the text if open. */
function quotedEnd(text: string, start: number, quote: number, backslashEscapes: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (backslashEscapes && c === 92) i++;
    else if (c === quote) {
      if (text.charCodeAt(i + 1) !== quote) return i + 1;
      i++; // a doubled quote is a quote inside the run
    }
  }
  return text.length;
}

/** Index just past a PostgreSQL dollar-quoted string (`$$…$$`, `$tag$…$tag$`) starting at `start`, or -1 if it is not one. */
function dollarQuotedEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text.charCodeAt(i) !== 36) {
    const c = text.charCodeAt(i);
    if (!isWordChar(c) || (i === start + 1 && isDigit(c))) return -1;
    i++;
  }
  if (i >= text.length) return -1;
  const tag = text.slice(start, i + 1);
  const end = text.indexOf(tag, i + 1);
  return end === -1 ? text.length : end + tag.length;
}

/**
 * A query's grouping name, with none of its values: string, number, hex and dollar-quoted literals become `?`,
 * comments are removed, whitespace runs become one space, `IN (…)` lists and repeated `VALUES` tuples collapse to one,
 * and the result is at most TEXT_LIMITS.name characters. Placeholders (`?`, `$1`, `:name`) and identifiers stay.
 * It scans the text once, so a quote inside a comment or a comment marker inside a string cannot confuse it, and a
 * literal cut off by the length bound or left open is still replaced, up to the end.
 */
export function normalizeStatement(statement: string, dbSystem: string | undefined): string {
  const text = statement.length > MAX_SCANNED ? statement.slice(0, MAX_SCANNED) : statement;
  const standard = dbSystem !== undefined && STANDARD_SQL.has(dbSystem);
  const brackets = dbSystem !== undefined && BRACKETED_IDENTIFIERS.has(dbSystem);
  let out = '';
  let space = false;
  const emit = (token: string) => {
    if (space && out !== '') out += ' ';
    space = false;
    out += token;
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (isSpace(c)) {
      space = true;
      i++;
    } else if ((c === 45 && next === 45) || (c === 35 && !standard)) {
      // -- comment (and MySQL's #), to the end of the line
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
      space = true;
    } else if (c === 47 && next === 42) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      space = true;
    } else if (c === 39) {
      // 'string', with its prefix letter if any; PostgreSQL's E'…' takes backslash escapes where plain strings do not
      const prefix = space ? null : STRING_PREFIX.exec(out);
      if (prefix) out = out.slice(0, -1);
      const escaped = !standard || prefix?.[1] === 'e' || prefix?.[1] === 'E';
      emit(LITERAL);
      i = quotedEnd(text, i, c, escaped);
    } else if (c === 34 && !standard) {
      emit(LITERAL);
      i = quotedEnd(text, i, c, true);
    } else if (c === 34 || c === 96 || (c === 91 && brackets)) {
      // "identifier", `identifier`, [identifier]: kept as written
      const end = c === 91 ? text.indexOf(']', i) + 1 || text.length : quotedEnd(text, i, c, false);
      emit(text.slice(i, end));
      i = end;
    } else if (c === 36 && isDigit(next)) {
      // $1: a placeholder, not a number
      let end = i + 1;
      while (end < text.length && isDigit(text.charCodeAt(end))) end++;
      emit(text.slice(i, end));
      i = end;
    } else if (c === 36 && dollarQuotedEnd(text, i) !== -1) {
      emit(LITERAL);
      i = dollarQuotedEnd(text, i);
    } else if (isDigit(c) || (c === 46 && isDigit(next))) {
      // 42, 4.2, .5, 1e-3, 0x1F, 0b101, 1_000
      let end = i + 1;
      while (end < text.length) {
        const d = text.charCodeAt(end);
        const exponentSign = (d === 43 || d === 45) && (text.charCodeAt(end - 1) | 32) === 101 && !/^0x/i.test(text.slice(i, end));
        if (!(isWordChar(d) || d === 46 || exponentSign)) break;
        end++;
      }
      emit(LITERAL);
      i = end;
    } else if (isWordChar(c)) {
      let end = i + 1;
      while (end < text.length && isWordChar(text.charCodeAt(end))) end++;
      emit(text.slice(i, end));
      i = end;
    } else {
      emit(text[i] as string);
      i++;
    }
  }
  return truncateText(out.replace(IN_LIST, '$1 (?)').replace(REPEATED_TUPLES, '$1'), TEXT_LIMITS.name);
}
