// A node:test reporter that ends a run with what failed: run-tests.mjs gives it a file of its own and prints that file
// after node's output, so that the causes are in the last lines instead of somewhere in node's long report.
// It collects; test-summary-format.mjs renders. It writes nothing when nothing failed.
import { resolve } from 'node:path';
import { formatSummary } from './test-summary-format.mjs';

/** @typedef {import('./test-summary-format.mjs').FailedTest} FailedTest */
/** @typedef {import('./test-summary-format.mjs').Entry} Entry */

/** node's closing totals (`tests 12`, `pass 9`, …), which the summary repeats so that they still end the run. */
const TOTAL = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) \S+$/;
/** Enough of a test file's stderr to show why it crashed: the error, its stack and its properties. */
const STDERR_LINES = 60;

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* testSummaryReporter(source) {
  /** Per file, the name of the test running at each nesting level: a failure's suite path. */
  const running = new Map();
  /** Cancelled tests by their parent's key, until the parent's failure (a hook, a timeout) says why. */
  const waiting = new Map();
  /** Per file, its last stderr lines: the only trace of a file that crashed or exited non-zero outside any test. */
  const stderr = new Map();
  /** @type {Entry[]} */
  const entries = [];
  /** @type {string[]} */
  let totals = [];

  /** The suite path of an event's test, its own name last. */
  const pathOf = ({ file, nesting, name }) => {
    const names = running.get(file) ?? [];
    names.length = nesting;
    names.push(name);
    running.set(file, names);
    return [...names];
  };
  /** Removes and returns the cancelled tests waiting on `key`. */
  const take = (key) => {
    const tests = waiting.get(key) ?? [];
    waiting.delete(key);
    return tests;
  };

  for await (const { type, data } of source) {
    if (type === 'test:start' || type === 'test:pass') pathOf(data);
    else if (type === 'test:stderr' && data.file) {
      const lines = [...(stderr.get(data.file) ?? []), ...data.message.split('\n')];
      stderr.set(data.file, lines.slice(-STDERR_LINES));
    } else if (type === 'test:diagnostic' && data.nesting === 0 && TOTAL.test(data.message)) {
      totals = data.message.startsWith('tests ') ? [data.message] : [...totals, data.message];
    } else if (type === 'test:fail' && data.todo === undefined) {
      const path = pathOf(data);
      /** @type {FailedTest} */
      const test = { file: data.file, path, error: data.details.error };
      // A file that failed as a whole: node's error says only "test failed"; its stderr says why.
      if (data.file && resolve(data.name) === data.file) test.stderr = stderr.get(data.file);
      const cancelledUnder = take(JSON.stringify([data.file, ...path]));
      const failureType = test.error?.failureType;
      if (failureType === 'cancelledByParent') {
        // A cancelled suite is told by the tests it held.
        const parentKey = JSON.stringify([data.file, ...path.slice(0, -1)]);
        waiting.set(parentKey, [...(waiting.get(parentKey) ?? []), ...(cancelledUnder.length > 0 ? cancelledUnder : [test])]);
      } else if (failureType === 'subtestsFailed') {
        // The suite failed through its tests, which are listed already; a test it cancelled has no other cause.
        entries.push(...cancelledUnder.map((cancelled) => ({ test: cancelled, sameError: [], cancelled: [] })));
      } else {
        addFailure(entries, test, cancelledUnder);
      }
    }
  }
  for (const tests of waiting.values()) entries.push(...tests.map((test) => ({ test, sameError: [], cancelled: [] })));
  if (entries.length > 0) yield formatSummary(entries, totals);
}

/**
 * One entry per error: a hook's error fails or cancels every test under it (and, in one process with
 * --experimental-test-isolation=none, a top-level hook every test of the run); those join the entry of its first test.
 * @param {Entry[]} entries
 * @param {FailedTest} test
 * @param {FailedTest[]} cancelled
 */
function addFailure(entries, test, cancelled) {
  const stack = test.error?.cause?.stack;
  const same = typeof stack === 'string' ? entries.find((e) => e.test.error?.cause?.stack === stack) : undefined;
  if (same) {
    same.sameError.push(test);
    same.cancelled.push(...cancelled);
  } else {
    entries.push({ test, sameError: [], cancelled });
  }
}
