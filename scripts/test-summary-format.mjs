// Renders what test-summary-reporter.mjs collected, bounded so that the causes stay in the last lines of a run: the
// first lines of each error, at most MAX_ENTRIES entries, then node's totals.
import { relative } from 'node:path';
import { inspect } from 'node:util';

/**
 * @typedef {object} FailedTest
 * @property {string | undefined} file
 * @property {string[]} path suite names, then the test's own
 * @property {any} error node's ERR_TEST_FAILURE, the real error in its `cause`
 * @property {string[]} [stderr] the file's last stderr lines, for a file that failed as a whole
 */
/**
 * @typedef {object} Entry
 * @property {FailedTest} test the first test that failed with this error
 * @property {FailedTest[]} sameError later tests that failed with the very same error (a hook's)
 * @property {FailedTest[]} cancelled tests cancelled because of it
 */

/**
 * The reporter of the run's progress on stdout: node's own default on Node 20 and 22, spec on a terminal and TAP
 * otherwise (as in CI's log, which reads the closing totals). Decided here for run-tests.mjs and again in node's
 * process, which shares its stdout.
 */
export const PROGRESS_REPORTER = process.stdout.isTTY ? 'spec' : 'tap';
/** How that reporter prints node's totals (`ℹ tests 12` or `# tests 12`): the summary repeats them in its form. */
const TOTAL_PREFIX = PROGRESS_REPORTER === 'spec' ? 'ℹ ' : '# ';

const MAX_ENTRIES = 20;
const MAX_ERROR_LINES = 8;
const MAX_LINE_CHARS = 200;
/** Stack frames inside node itself, which say nothing about the test. */
const NODE_FRAME = /^\s*at (.*\()?(node:|<anonymous>\)?$)|^\s*at async Promise\.all /;
/** The line node prints last when it dies of an uncaught error. */
const NODE_VERSION = /^Node\.js v\d/;
/** The first line of a printed error: `Error: …`, `TypeError [ERR_X]: …`, `AssertionError [ERR_ASSERTION]: …`. */
const ERROR_HEADING = /^[\w.$]*(Error|Exception)\b.*:/;

/**
 * @param {Entry[]} entries
 * @param {string[]} totals node's closing `tests N`, `pass N`, … lines
 * @returns {string}
 */
export function formatSummary(entries, totals) {
  const failed = entries.filter((e) => e.test.error?.failureType !== 'cancelledByParent');
  const failures = failed.reduce((n, e) => n + 1 + e.sameError.length, 0);
  const cancelled = entries.reduce((n, e) => n + e.cancelled.length, entries.length - failed.length);
  const lines = [
    '',
    `✖ ${count(failures, 'failure')}, ${count(cancelled, 'cancelled test')} (the first lines of each error; the full report is above):`,
  ];
  for (const entry of entries.slice(0, MAX_ENTRIES)) lines.push(...formatEntry(entry));
  if (entries.length > MAX_ENTRIES) lines.push(`… and ${entries.length - MAX_ENTRIES} more (above)`);
  lines.push(...totals.map((total) => `${TOTAL_PREFIX}${total}`));
  return `${lines.join('\n')}\n`;
}

/** @param {Entry} entry */
function formatEntry({ test, sameError, cancelled }) {
  const { error } = test;
  // A hook's failure reads "failed running before hook"; a test's own error is in the lines below.
  const what = error?.failureType === 'hookFailed' ? `: ${error.message}` : '';
  const lines = [`✖ ${test.path.join(' › ')}${what}${test.file ? `  (${where(test)})` : ''}`];
  if (sameError.length > 0) lines.push(`    the same error failed ${sameError.length} more: ${names(sameError, test, [])}`);
  if (cancelled.length > 0) lines.push(`    cancelled ${count(cancelled.length, 'test')}: ${names(cancelled, test, test.path)}`);
  lines.push(...errorLines(test).map((line) => `    ${line}`));
  return lines.map(clip);
}

/** The first lines of the real error (node wraps it), without blank lines and node's own stack frames. */
function errorLines({ error, stderr }) {
  const cause = error?.cause ?? error;
  const text = typeof cause?.stack === 'string' ? cause.stack : typeof cause === 'string' ? cause : inspect(cause);
  return [...meaningful(text.split('\n')), ...crash(meaningful(stderr ?? []))].slice(0, MAX_ERROR_LINES);
}

/** A crashed process's stderr from its last error heading on, past the source line and caret node prints first. */
function crash(lines) {
  const last = lines.findLastIndex((line) => ERROR_HEADING.test(line));
  return last === -1 ? lines.slice(-MAX_ERROR_LINES) : lines.slice(last);
}

function meaningful(lines) {
  return lines.filter((line) => line.trim() !== '' && !NODE_FRAME.test(line) && !NODE_VERSION.test(line));
}

/** Tests by their suite path below `under` in `anchor`'s file; with their file and full path when outside it. */
function names(tests, anchor, under) {
  return tests
    .map((test) => {
      const inside = test.file === anchor.file && under.every((name, i) => test.path[i] === name);
      return inside ? test.path.slice(under.length).join(' › ') : `${test.path.join(' › ')} (${where(test)})`;
    })
    .join(', ');
}

/** The test's file. Not node's line: under tsx it counts lines of the transpiled code (the error's stack has it right). */
function where({ file }) {
  return relative(process.cwd(), file ?? '?');
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function clip(line) {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line;
}
