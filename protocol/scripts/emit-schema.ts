// Writes protocol/schema/*.json from the TypeBox source. `npm run schema -w protocol`.
import { writeFileSync } from 'node:fs';
import { PUBLISHED_SCHEMAS, toJsonSchemaDocument } from '../src/schemas.js';

for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
  writeFileSync(new URL(`../schema/${file}`, import.meta.url), toJsonSchemaDocument(schema));
  console.log(`wrote protocol/schema/${file}`);
}
