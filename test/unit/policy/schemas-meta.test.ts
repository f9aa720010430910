import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

// The policy schemas are compiled at run time with validateSchema: false (to keep `llmcm check` fast),
// so their validity against the draft 2020-12 meta-schema is checked here instead.
describe('policy schemas', () => {
  it('policy-input and policy-data are valid draft 2020-12 schemas and compile together', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
    const schemas = ['policy-input.schema.json', 'policy-data.schema.json'].map(
      (file) => JSON.parse(readFileSync(join(projectRoot, 'schemas', file), 'utf8')) as { $id: string },
    );
    for (const schema of schemas) expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    for (const schema of schemas) ajv.addSchema(schema);
    for (const schema of schemas) expect(ajv.getSchema(schema.$id)).toBeTypeOf('function');
  });

  it('the meta-schema check can fail', () => {
    const ajv = new Ajv2020({ strict: true });
    expect(ajv.validateSchema({ type: 'no-such-type' })).toBe(false);
  });
});
