import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PUBLISHED_SCHEMAS, toJsonSchemaDocument } from '../src/index.js';

const schemaDir = new URL('../schema/', import.meta.url);

describe('checked-in JSON Schema', () => {
  for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
    it(`schema/${file} matches the TypeBox source (regenerate: npm run schema -w protocol)`, () => {
      assert.equal(readFileSync(new URL(file, schemaDir), 'utf8'), toJsonSchemaDocument(schema));
    });
  }

  it('holds no file that the source does not publish', () => {
    assert.deepEqual(readdirSync(schemaDir).sort(), Object.keys(PUBLISHED_SCHEMAS).sort());
  });
});
