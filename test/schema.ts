import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
// ajv and ajv-formats are CommonJS; loading them through require keeps their typings usable under NodeNext.
const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

let compiled: ValidateFunction | undefined;

/** The validator of `test/schema/guardduty-finding.schema.json` (GuardDuty's finding model plus Trailhound's requirements). */
export function findingValidator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  compiled = ajv.compile(JSON.parse(readFileSync(join(import.meta.dirname, 'schema', 'guardduty-finding.schema.json'), 'utf8')));
  return compiled;
}

/** Schema errors of a finding (empty when valid). */
export function schemaErrors(finding: unknown): ErrorObject[] {
  const validate = findingValidator();
  return validate(finding) ? [] : [...(validate.errors ?? [])];
}
