#!/usr/bin/env bash
# test_drafts_fhir.sh — issue 15 item 3: every QuestionnaireResponse the service drafts over the
# decision vectors, and the Questionnaires themselves, through the FHIR R4 validator the
# conformance runner uses (conformance/validator/validate.mjs: @medplum/core validateResource and
# fhir.js with errorOnUnexpected). A broken resource must be refused first (the check can fail).
# Exit 77 (SKIP) when node or the validator packages are not installed
# (`cmake --build build --target conformance-validator`).
# Usage: test_drafts_fhir.sh TEST_QUESTIONNAIRE_DRAFT SOURCE_DIR MODULES_DIR
set -u
bin=$1 src=$2 modules=$3
if ! command -v node >/dev/null || [ ! -d "$modules/node_modules/@medplum/core" ]; then
    echo "SKIP: node or the validator packages ($modules) are not installed"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s' '[{"resourceType":"QuestionnaireResponse","status":"bogus","item":[{"linkId":"a","answer":[{"valueString":"x"}]}]}]' >"$work/bad.json"
if node "$src/conformance/validator/validate.mjs" "$modules" "$work/bad.json" | grep -q '"errors":\[\]'; then
    echo "FAIL: the validator accepted a QuestionnaireResponse with status 'bogus'"
    exit 1
fi
CDS_SOURCE_DIR=$src CDS_DRAFTS_OUT="$work/drafts.json" "$bin" >"$work/log" 2>&1 || {
    cat "$work/log"
    echo "FAIL: the drafts do not pass their Questionnaires"
    exit 1
}
node "$src/conformance/validator/validate.mjs" "$modules" "$work/drafts.json" >"$work/result.json" || exit 1
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const bad = r.filter((x) => x.errors.length > 0);
for (const b of bad.slice(0, 10)) console.log(`resource ${b.index}: ${b.errors.join("; ")}`);
console.log(`${r.length} resources validated (2 Questionnaires and the drafts), ${bad.length} invalid`);
process.exit(bad.length === 0 && r.length > 2 ? 0 : 1);' "$work/result.json"
