import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeStatement, TEXT_LIMITS } from '../src/index.js';

const CARD = '4111 1111 1111 1111';
const EMAIL = 'jane.doe@example.com';

describe('normalizeStatement: a query named without its values', () => {
  const cases: Array<[string, string, string | undefined, string]> = [
    [
      'string and number literals',
      `SELECT * FROM users WHERE email = '${EMAIL}' AND card = '${CARD}' AND age > 42 AND score < -4.5e-3`,
      'postgresql',
      'SELECT * FROM users WHERE email = ? AND card = ? AND age > ? AND score < -?',
    ],
    ['hex and binary numbers', 'SELECT 0x1F, 0b101, 1_000, .5 FROM t', 'mysql', 'SELECT ?, ?, ?, ? FROM t'],
    [
      'IN lists collapse, whatever their length',
      'SELECT 1 FROM t WHERE a IN (1, 2, 3) AND b in($1,$2)',
      'postgresql',
      'SELECT ? FROM t WHERE a IN (?) AND b in (?)',
    ],
    [
      'repeated VALUES tuples collapse',
      "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')",
      'postgresql',
      'INSERT INTO t (a, b) VALUES (?, ?)',
    ],
    [
      'comments removed, whitespace collapsed',
      "SELECT  a -- the 'a'\n FROM /* it's */ t\n\tWHERE b = 1",
      'postgresql',
      'SELECT a FROM t WHERE b = ?',
    ],
    ["MySQL's # comment", "SELECT a FROM t # owner 'x'\nWHERE b = 2", 'mysql', 'SELECT a FROM t WHERE b = ?'],
    [
      'placeholders and identifiers stay',
      'SELECT $1::text, t1.col_2 FROM "Users" t1 WHERE id = ? AND x = :name',
      'postgresql',
      'SELECT $1::text, t1.col_2 FROM "Users" t1 WHERE id = ? AND x = :name',
    ],
    ['PostgreSQL dollar quotes', 'SELECT $$a secret$$, $tag$another$tag$ FROM t', 'postgresql', 'SELECT ?, ? FROM t'],
    ["standard SQL: a backslash does not escape, E'…' does", "SELECT 'C:\\', E'it\\'s', 'x' FROM t", 'postgresql', 'SELECT ?, ?, ? FROM t'],
    [
      'MySQL: a backslash escapes, double quotes are values',
      `SELECT 'it\\'s ${EMAIL}', "${CARD}" FROM \`t\``,
      'mysql',
      'SELECT ?, ? FROM `t`',
    ],
    ['prefixed strings', "SELECT N'x', X'1F', B'01' FROM t", 'mssql', 'SELECT ?, ?, ? FROM t'],
    ['arrays are values outside SQL Server', "SELECT ARRAY['secret'], a[3] FROM t", 'postgresql', 'SELECT ARRAY[?], a[?] FROM t'],
    ["SQL Server's [identifiers] stay", "SELECT [col] FROM [dbo].[t] WHERE n = N'bob'", 'mssql', 'SELECT [col] FROM [dbo].[t] WHERE n = ?'],
    ['a literal left open is hidden to the end', `SELECT 1 WHERE a = '${EMAIL}`, 'postgresql', 'SELECT ? WHERE a = ?'],
    ['a Redis command', 'blpop jobs:pending 1.1', 'redis', 'blpop jobs:pending ?'],
    ['an unknown system: double quotes are values', `find {"email":"${EMAIL}"}`, undefined, 'find {?:?}'],
  ];
  for (const [why, statement, system, expected] of cases) {
    it(why, () => assert.equal(normalizeStatement(statement, system), expected));
  }

  it('keeps no literal of a long statement, and at most TEXT_LIMITS.name characters', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => `('${EMAIL}', ${4111111111111111 + i})`).join(', ');
    const name = normalizeStatement(`INSERT INTO cards (email, number) VALUES ${values}`, 'postgresql');
    assert.equal(name, 'INSERT INTO cards (email, number) VALUES (?, ?)');
    const long = normalizeStatement(`SELECT ${'a, '.repeat(500)}b FROM t WHERE e = '${EMAIL}'`, 'postgresql');
    assert.equal(long.length, TEXT_LIMITS.name);
    assert.doesNotMatch(long, /jane|4111/);
  });
});
