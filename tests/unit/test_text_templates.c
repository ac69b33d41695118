/* test_text_templates.c — a property test of the clinical text mechanism (engine/text_*.c) on
 * the shipped vocabulary (policies/vocabulary/): every phrase of every concept the shipped
 * policies ask about (mentions('…') in policies/<name>.policy.json) is put into sentence templates
 * whose reading follows from the template alone ("No X." negated, "?X" uncertain, "h/o X 2010"
 * historical, "FH: X" another experiencer, "Return if X develops." hypothetical, "No headache.
 * Has X." affirmed), and every body-site term into each laterality style ("R X", "X (left)",
 * "bilateral X"); the engine's own annotation must give the reading the template implies.
 * Hand-written cases test the sentences someone thought of; this tests every synonym the same
 * way. Readings follow /work/shared/design/policies.md "Text is read as a clinician writes it"
 * and policies/vocabulary/README.md. Combinations whose expected reading is debatable, or whose
 * fix would risk losing a critical card, are listed in `exceptions` below, each with its reason;
 * nothing else is allowed to fail. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

#include "text_internal.h"

#define OK(c) CHECK(c, "%s", "")

/* ---- what the templates imply -------------------------------------------------------------- */

/* Which concepts a template applies to. */
enum kind {
	K_FINDING = 1,  /* a condition, symptom, drug or procedure: present, absent, suspected,
	                   past, another person's, or a future possibility */
	K_QUALIFIER = 2 /* a result, attribute, setting or response word, or a phrase that carries
	                   its own polarity ("no relief", "unable to palpate landmarks"): only its
	                   affirmed readings are implied ("No no relief." is not a sentence) */
};

/* A template: prefix + phrase + suffix, and the status of the phrase it implies. */
struct tmpl {
	const char *name, *prefix, *suffix, *want;
	int kinds;
};

static const struct tmpl templates[] = {
    /* affirmed */
    {"aff-bare", "", "", "affirmed", K_FINDING | K_QUALIFIER},
    {"aff-reports", "Patient reports ", ".", "affirmed", K_FINDING},
    {"aff-known", "Known ", ".", "affirmed", K_FINDING},
    {"aff-presents", "Presents with ", ".", "affirmed", K_FINDING},
    /* negated, in the styles UK records use (policies.md: "no", "denies", "without",
     * "negative for", "ruled out", "no red flags of"; README: "nil") */
    {"neg-no", "No ", ".", "negated", K_FINDING},
    {"neg-denies", "Denies ", ".", "negated", K_FINDING},
    {"neg-colon-nil", "", ": nil", "negated", K_FINDING},
    {"neg-dash-none", "", " - none", "negated", K_FINDING},
    {"neg-nil", "Nil ", ".", "negated", K_FINDING},
    {"neg-no-evidence", "No evidence of ", ".", "negated", K_FINDING},
    {"neg-not-present", "", " not present.", "negated", K_FINDING},
    {"neg-negative-for|hyp-watch-for", "Negative for ", ".", "negated", K_FINDING},
    {"neg-list-second", "No headache or ", ".", "negated", K_FINDING},
    {"neg-colon-no", "", ": no", "negated", K_FINDING},
    {"neg-without", "Without ", ".", "negated", K_FINDING},
    {"neg-ruled-out", "", " ruled out.", "negated", K_FINDING},
    {"neg-no-signs", "No signs of ", ".", "negated", K_FINDING},
    {"neg-caps", "NO ", ".", "negated", K_FINDING},
    {"neg-colon-absent", "", ": absent", "negated", K_FINDING},
    {"neg-dash-nil", "", " - nil", "negated", K_FINDING},
    {"neg-en-dash-none", "", " \xe2\x80\x93 none", "negated", K_FINDING},
    {"neg-denied", "", " denied.", "negated", K_FINDING},
    {"neg-excluded", "", " excluded.", "negated", K_FINDING},
    {"neg-no-history", "No history of ", ".", "negated", K_FINDING},
    {"neg-no-known", "No known ", ".", "negated", K_FINDING},
    {"neg-no-new", "No new ", ".", "negated", K_FINDING},
    {"neg-there-is-no", "There is no ", ".", "negated", K_FINDING},
    {"neg-list-first", "No ", " or headache.", "negated", K_FINDING},
    {"neg-list-third", "No headache, nausea or ", ".", "negated", K_FINDING},
    {"neg-denies-list", "Denies headache, ", " or nausea.", "negated", K_FINDING},
    {"neg-long-list", "No fever, night sweats, weight loss, nausea or ", ".", "negated", K_FINDING},
    {"neg-question-no", "", "? No", "negated", K_FINDING},
    {"neg-nil-list", "Nil headache or ", ".", "negated", K_FINDING},
    {"neg-absence", "Absence of ", ".", "negated", K_FINDING},
    {"neg-free-of", "Free of ", ".", "negated", K_FINDING},
    {"neg-no-red-flags", "No red flags of ", ".", "negated", K_FINDING},
    {"neg-seen", "No ", " seen.", "negated", K_FINDING},
    {"neg-not-seen", "", " not seen.", "negated", K_FINDING},
    {"neg-colon-negative", "", ": negative", "negated", K_FINDING},
    {"neg-obvious", "No obvious ", ".", "negated", K_FINDING},
    {"neg-definite", "No definite ", ".", "negated", K_FINDING},
    {"neg-current", "No current ", ".", "negated", K_FINDING},
    {"neg-at-present", "No ", " at present.", "negated", K_FINDING},
    {"neg-patient-denies", "Patient denies ", ".", "negated", K_FINDING},
    {"neg-colon-not-present", "", ": not present", "negated", K_FINDING},
    {"neg-unlikely", "", " unlikely.", "negated", K_FINDING},
    {"neg-not", "Not ", ".", "negated", K_FINDING},
    /* uncertain (policies.md: "?", "query", "possible", "suspected", "r/o"; README: "rule out"
     * and "to exclude" name a suspicion) */
    {"unc-mark", "?", "", "uncertain", K_FINDING},
    {"unc-query", "Query ", ".", "uncertain", K_FINDING},
    {"unc-possible", "Possible ", ".", "uncertain", K_FINDING},
    {"unc-suspected", "Suspected ", ".", "uncertain", K_FINDING},
    {"unc-to-exclude", "To exclude ", ".", "uncertain", K_FINDING},
    {"unc-ro", "R/O ", ".", "uncertain", K_FINDING},
    {"unc-cannot-excluded", "", " cannot be excluded.", "uncertain", K_FINDING},
    {"unc-mark-space", "? ", "", "uncertain", K_FINDING},
    {"unc-mark-after", "", "?", "uncertain", K_FINDING},
    {"unc-probable", "Probable ", ".", "uncertain", K_FINDING},
    {"unc-likely", "Likely ", ".", "uncertain", K_FINDING},
    {"unc-rule-out", "Rule out ", ".", "uncertain", K_FINDING},
    {"unc-exclude", "Exclude ", ".", "uncertain", K_FINDING},
    {"unc-not-excluded", "", " not excluded.", "uncertain", K_FINDING},
    {"unc-mri-query", "MRI ?", "", "uncertain", K_FINDING},
    {"unc-could-be", "Could be ", ".", "uncertain", K_FINDING},
    {"unc-query-for", "For MRI to exclude ", ".", "uncertain", K_FINDING},
    {"unc-double-mark", "??", "", "uncertain", K_FINDING},
    {"unc-ddx", "Ddx ", ".", "uncertain", K_FINDING},
    {"unc-differential", "Differential: ", ".", "uncertain", K_FINDING},
    {"unc-suspicion", "Suspicion of ", ".", "uncertain", K_FINDING},
    {"unc-consider", "Consider ", ".", "uncertain", K_FINDING},
    {"unc-query-after", "", " query.", "uncertain", K_FINDING},
    {"unc-concern", "Concern re ", ".", "uncertain", K_FINDING},
    {"unc-mark-after-space", "", " ?", "uncertain", K_FINDING},
    {"unc-double-after", "", "??", "uncertain", K_FINDING},
    {"unc-maybe", "Maybe ", ".", "uncertain", K_FINDING},
    {"unc-in-keeping", "Symptoms may represent ", ".", "uncertain", K_FINDING},
    /* historical */
    {"hist-ho", "h/o ", " 2010.", "historical", K_FINDING},
    {"hist-previous", "Previous ", ", resolved.", "historical", K_FINDING},
    {"hist-pmh", "PMH: ", ".", "historical", K_FINDING},
    {"hist-history-of", "History of ", ".", "historical", K_FINDING},
    {"hist-hx", "Hx of ", ".", "historical", K_FINDING},
    {"hist-past-history", "Past history of ", ".", "historical", K_FINDING},
    {"hist-prior", "Prior ", ".", "historical", K_FINDING},
    {"hist-now-resolved", "", ", now resolved.", "historical", K_FINDING},
    {"hist-pmhx", "PMHx: ", ".", "historical", K_FINDING},
    {"hist-old", "Old ", ".", "historical", K_FINDING},
    {"hist-past", "Past ", ".", "historical", K_FINDING},
    {"hist-previously", "Previously had ", ".", "historical", K_FINDING},
    /* another experiencer */
    {"oth-fh", "FH: ", ".", "other", K_FINDING},
    {"oth-mother", "Mother had ", ".", "other", K_FINDING},
    {"oth-family-history", "Family history of ", ".", "other", K_FINDING},
    {"oth-father", "Father has ", ".", "other", K_FINDING},
    {"oth-brother", "Brother with ", ".", "other", K_FINDING},
    {"oth-fhx", "FHx ", ".", "other", K_FINDING},
    {"oth-mum", "Mum had ", ".", "other", K_FINDING},
    {"oth-sister", "Sister: ", ".", "other", K_FINDING},
    {"oth-grandmother", "Grandmother had ", ".", "other", K_FINDING},
    {"oth-wife", "Wife has ", ".", "other", K_FINDING},
    {"oth-fh-of", "FH of ", ".", "other", K_FINDING},
    {"oth-dad", "Dad had ", ".", "other", K_FINDING},
    {"oth-family-hx", "Family hx: ", ".", "other", K_FINDING},
    /* hypothetical: safety-netting */
    {"hyp-return-if", "Return if ", " develops.", "hypothetical", K_FINDING},
    {"hyp-attend-ae", "Advised to attend A&E if ", ".", "hypothetical", K_FINDING},
    {"hyp-should", "Should ", " develop, seek urgent review.", "hypothetical", K_FINDING},
    {"hyp-if-first", "If ", ", return.", "hypothetical", K_FINDING},
    {"hyp-call-111", "Call 111 if ", ".", "hypothetical", K_FINDING},
    {"hyp-in-case", "In case of ", " call 999.", "hypothetical", K_FINDING},
    {"hyp-seek-help", "Seek help should ", " occur.", "hypothetical", K_FINDING},
    {"hyp-safety-netted", "Safety netted: if ", ", attend ED.", "hypothetical", K_FINDING},
    {"hyp-if-any", "If any ", ", return.", "hypothetical", K_FINDING},
    {"hyp-should-occur", "Should ", " occur, call 111.", "hypothetical", K_FINDING},
    {"hyp-risk-discussed", "Risks discussed incl. ", ".", "hypothetical", K_FINDING},
    {"hyp-watch-for", "Watch for ", ".", "hypothetical", K_FINDING},
    {"hyp-advised-re", "Advised re ", ".", "hypothetical", K_FINDING},
    {"hyp-develops-after", "Return if develops ", ".", "hypothetical", K_FINDING},
    {"hyp-red-flags", "Red flags explained incl. ", ".", "hypothetical", K_FINDING},
    {"hyp-if-worsening", "Review if worsening ", ".", "hypothetical", K_FINDING},
    /* scope ends: a sentence end and a termination term */
    {"end-sentence", "No headache. Has ", ".", "affirmed", K_FINDING},
    {"end-but", "No headache but has ", ".", "affirmed", K_FINDING},
    {"end-sentence-bare", "Denies nausea. ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-but-bare", "No headache but ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-semicolon", "No headache; ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-newline", "No headache\n", "", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-however", "No headache, however ", ".", "affirmed", K_FINDING},
    {"end-denies-but-reports", "Denies headache but reports ", ".", "affirmed", K_FINDING},
    {"end-query-sentence", "?Migraine. ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-ho-sentence", "h/o migraine. ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-fh-patient", "Mother had migraine. Patient has ", ".", "affirmed", K_FINDING},
    {"end-if-sentence", "Return if headache. ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-comma-but", "No headache, but ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-although", "No headache although ", ".", "affirmed", K_FINDING},
    {"end-reports", "Denies headache. Reports ", ".", "affirmed", K_FINDING},
    {"end-other-patient", "FH: migraine. ", ".", "affirmed", K_FINDING | K_QUALIFIER},
    {"end-far", "No headache reported at the appointment last week with the GP; ", ".", "affirmed",
     K_FINDING},
    /* a negation after the phrase, forward-only, does not reach back */
    {"aff-then-no", "", ", no headache.", "affirmed", K_FINDING | K_QUALIFIER},
    {"aff-with-no", "Has ", " with no headache.", "affirmed", K_FINDING},
    {"aff-yes", "", ": yes", "affirmed", K_FINDING},
    {"aff-present", "", ": present", "affirmed", K_FINDING},
    {"aff-positive-for", "Positive for ", ".", "affirmed", K_FINDING},
    {"aff-ongoing", "Ongoing ", ".", "affirmed", K_FINDING},
    {"aff-new", "New ", ".", "affirmed", K_FINDING},
    {"aff-worsening", "Worsening ", ".", "affirmed", K_FINDING},
    {"aff-not-improving", "", ", not improving.", "affirmed", K_FINDING},
};
#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

/* Every concept the shipped policies ask about has a kind here (a new one fails the test until
 * it is given one). */
static const struct {
	const char *id;
	int kind;
} kinds[] = {
    {"adverse-effect", K_FINDING},
    {"analgesic", K_FINDING},
    {"anticancer-drug", K_FINDING},
    {"anticoagulant", K_FINDING},
    {"aspiration", K_FINDING},
    {"back-pain-or-sciatica", K_FINDING},
    {"bilateral-leg-symptoms", K_FINDING},
    {"bilateral-sciatica", K_FINDING},
    {"bladder-dysfunction", K_FINDING},
    {"acquired-coagulopathy", K_FINDING},
    {"bleeding-disorder", K_FINDING},
    {"bowel-dysfunction", K_FINDING},
    {"cauda-equina-syndrome", K_FINDING},
    {"conservative-management", K_FINDING},
    {"conservative-not-tried", K_QUALIFIER},
    {"dalteparin", K_FINDING},
    {"degenerative-sacroiliitis", K_FINDING},
    {"degenerative-change", K_FINDING},
    {"dislocation", K_FINDING},
    {"enoxaparin", K_FINDING},
    {"fondaparinux", K_FINDING},
    {"fracture", K_FINDING},
    {"heparin", K_FINDING},
    {"heparin-flush", K_FINDING},
    {"infection", K_FINDING},
    {"injection", K_FINDING},
    {"usgi-abbreviation", K_FINDING}, /* USGI: the procedure when no aspiration is named */
    {"joint-disease-process", K_FINDING},
    {"joint-effusion", K_FINDING},
    {"joint-injury", K_FINDING},
    {"leg-symptoms-left", K_FINDING},
    {"leg-symptoms-right", K_FINDING},
    {"malignancy", K_FINDING},
    {"haematological-malignancy", K_FINDING},
    {"neuropathic-analgesic", K_FINDING},
    {"obesity", K_FINDING},
    {"oncology-care", K_FINDING},
    {"haematology-care", K_FINDING},
    {"orthosis", K_FINDING},
    {"physiotherapy", K_FINDING},
    {"procedural-distress", K_FINDING},
    {"saddle-anaesthesia", K_FINDING},
    {"severe-procedural-pain", K_FINDING},
    {"sexual-dysfunction", K_FINDING},
    {"soft-tissue-cyst", K_FINDING},
    {"soft-tissue-lump", K_FINDING},
    {"structural-joint-injury", K_FINDING},
    {"swelling", K_FINDING},
    {"systemic-infection", K_FINDING},
    {"tinzaparin", K_FINDING},
    {"vitamin-k-antagonist", K_FINDING},
    {"vte-prophylaxis", K_FINDING},
    {"weight-management", K_FINDING},
    /* results and their clusters */
    {"positive", K_QUALIFIER},
    {"negative", K_QUALIFIER},
    {"provocation-test", K_QUALIFIER},
    {"provocation-cluster-positive", K_QUALIFIER},
    {"provocation-cluster-negative", K_QUALIFIER},
    /* severity, dose, count, duration and order words */
    {"significant", K_QUALIFIER},
    {"minor-severity", K_QUALIFIER},
    {"treatment-dose", K_QUALIFIER},
    {"repeat-count", K_QUALIFIER},
    {"duration-three-months-or-more", K_QUALIFIER},
    {"duration-twelfths-three-or-more", K_QUALIFIER},
    {"duration-under-three-months", K_QUALIFIER},
    {"injection-ordinal", K_QUALIFIER},
    {"repeated-injections", K_QUALIFIER},
    {"bmi", K_QUALIFIER},
    {"inr", K_QUALIFIER},
    {"body-weight", K_QUALIFIER},
    {"body-height", K_QUALIFIER},
    {"post-void-residual", K_QUALIFIER}, /* a measurement named by an Observation's code */
    /* responses and decisions, several with their own polarity ("no relief", "not keen") */
    {"good-response", K_QUALIFIER},
    {"relief", K_QUALIFIER},
    {"no-relief", K_QUALIFIER},
    {"relief-not-lasting", K_QUALIFIER},
    {"relief-lasting", K_QUALIFIER},
    {"partial-response", K_QUALIFIER},
    {"treatment-failed", K_QUALIFIER},
    {"remission", K_QUALIFIER},
    {"procedure-stopped", K_QUALIFIER},
    {"declined", K_QUALIFIER},
    {"unwilling", K_QUALIFIER},
    {"willing-to-proceed", K_QUALIFIER},
    {"aspiration-failed", K_QUALIFIER},
    {"attempt-made", K_QUALIFIER},
    {"injection-not-given", K_QUALIFIER},
    {"landmarks-not-identifiable", K_QUALIFIER},
    {"landmarks-identifiable", K_QUALIFIER},
    /* settings, pathways, anatomy and technique words */
    {"primary-care", K_QUALIFIER},
    {"specialist-setting", K_QUALIFIER},
    {"suspected-cancer-referral", K_QUALIFIER},
    {"suspicious-bone-finding", K_FINDING},
    {"research-trial", K_QUALIFIER},
    {"both-legs", K_QUALIFIER},
    {"facet-joint", K_QUALIFIER},
    {"sacroiliac-joint", K_QUALIFIER},
    {"ultrasound-guidance", K_QUALIFIER},
    {"image-guidance", K_QUALIFIER},
    {"other-image-guidance", K_QUALIFIER},
    {"landmark-guidance", K_QUALIFIER},
};

/* Combinations left failing on purpose: concept (NULL: any), phrase as typed (its `*` dropped;
 * NULL: any), template names joined by '|' (NULL: any), and why. Each is a judgement a reviewer can
 * check; none weakens the others. An entry nothing needs any more is printed as a NOTE. */
static const struct exception {
	const char *concept, *phrase, *tmpl, *why;
} exceptions[] = {
    {"oncology-care", NULL, "neg-denies-list",
     "a care team written '..., under <team>' after a comma is a clause of its own (who cares for "
     "the patient now), not an item of the denial before it: 'declined chemotherapy, under "
     "Macmillan palliative care' is under palliative care (text_scan.c comma_clause, audit "
     "H133). Only its 'under ...' phrases are read so in this template"},
    {"haematology-care", NULL, "neg-denies-list",
     "a care team written '..., under <team>' after a comma is a clause of its own (who cares for "
     "the patient now), not an item of the denial before it: 'declined chemotherapy, under "
     "Macmillan palliative care' is under palliative care (text_scan.c comma_clause, audit "
     "H133). Only its 'under ...' phrases are read so in this template"},
    {"back-pain-or-sciatica", NULL, "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"bilateral-sciatica", NULL, "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"severe-procedural-pain", NULL, "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"physiotherapy", "escape pain", "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"saddle-anaesthesia", "saddle symptoms", "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"bladder-dysfunction", "bladder symptoms", "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"bowel-dysfunction", "bowel symptoms", "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"bilateral-leg-symptoms", "leg pain bilaterally", "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"adverse-effect", "procedural pain", "hist-now-resolved",
     "'<pain or symptoms>, now resolved' is read by the good-response phrases ('pain now "
     "resolved', "
     "'symptoms now resolved', 'back pain now resolved', 'sciatica now resolved'), which take the "
     "trigger's words: the pain or symptom is then a good response (or, for the part before "
     "'symptoms', affirmed). Letting a trigger inside a concept phrase also reach outside it "
     "would make 'Saddle anaesthesia, pain resolved' a past saddle anaesthesia and lose the "
     "suspected-CES card"},
    {"analgesic", "pain killer",
     "neg-no|neg-caps|neg-there-is-no|neg-list-first|neg-seen|neg-at-present",
     "read as no mention, not negated: 'no pain killers' is the shield no-analgesic (without it "
     "'no pain' read a good response, 142 E); the same for every policy (analgesic is asked "
     "affirmed or historical)"},
    {"analgesic", "pain medication",
     "neg-no|neg-caps|neg-there-is-no|neg-list-first|neg-seen|neg-at-present",
     "read as no mention, not negated: 'no pain killers' is the shield no-analgesic (without it "
     "'no pain' read a good response, 142 E); the same for every policy (analgesic is asked "
     "affirmed or historical)"},
    {"analgesic", "pain relief medication",
     "neg-no|neg-caps|neg-there-is-no|neg-list-first|neg-seen|neg-at-present",
     "read as no mention, not negated: 'no pain killers' is the shield no-analgesic (without it "
     "'no pain' read a good response, 142 E); the same for every policy (analgesic is asked "
     "affirmed or historical)"},
    {"analgesic", "pain relief tablets",
     "neg-no|neg-caps|neg-there-is-no|neg-list-first|neg-seen|neg-at-present",
     "read as no mention, not negated: 'no pain killers' is the shield no-analgesic (without it "
     "'no pain' read a good response, 142 E); the same for every policy (analgesic is asked "
     "affirmed or historical)"},
    {"analgesic", "pain relief medicines",
     "neg-no|neg-caps|neg-there-is-no|neg-list-first|neg-seen|neg-at-present",
     "read as no mention, not negated: 'no pain killers' is the shield no-analgesic (without it "
     "'no pain' read a good response, 142 E); the same for every policy (analgesic is asked "
     "affirmed or historical)"},
    {"analgesic", "pain killer", "aff-ongoing",
     "'ongoing pain' (no relief) takes 'pain': 'Ongoing pain killers' is rare wording, and that "
     "the "
     "pain is ongoing is also what it says"},
    {"analgesic", "pain medication", "aff-ongoing",
     "'ongoing pain' (no relief) takes 'pain': 'Ongoing pain killers' is rare wording, and that "
     "the "
     "pain is ongoing is also what it says"},
    {"analgesic", "pain relief medication", "neg-negative-for|hyp-watch-for",
     "'Negative for' / 'Watch for' is no way to record a medicine; 'for pain relief medication' / "
     "'for DVT "
     "prophylaxis' (a medicine and its indication: 'asked for pain relief medication', "
     "'enoxaparin 40 mg for DVT prophylaxis') take its 'for'"},
    {"analgesic", "pain relief tablets", "neg-negative-for|hyp-watch-for",
     "'Negative for' / 'Watch for' is no way to record a medicine; 'for pain relief medication' / "
     "'for DVT "
     "prophylaxis' (a medicine and its indication: 'asked for pain relief medication', "
     "'enoxaparin 40 mg for DVT prophylaxis') take its 'for'"},
    {"analgesic", "pain relief medicines", "neg-negative-for|hyp-watch-for",
     "'Negative for' / 'Watch for' is no way to record a medicine; 'for pain relief medication' / "
     "'for DVT "
     "prophylaxis' (a medicine and its indication: 'asked for pain relief medication', "
     "'enoxaparin 40 mg for DVT prophylaxis') take its 'for'"},
    {"vte-prophylaxis", "dvt prophylaxis", "neg-negative-for|hyp-watch-for",
     "'Negative for' / 'Watch for' is no way to record a medicine; 'for pain relief medication' / "
     "'for DVT "
     "prophylaxis' (a medicine and its indication: 'asked for pain relief medication', "
     "'enoxaparin 40 mg for DVT prophylaxis') take its 'for'"},
    {"vte-prophylaxis", "dvt prevention", "neg-negative-for|hyp-watch-for",
     "'Negative for' / 'Watch for' is no way to record a medicine; 'for pain relief medication' / "
     "'for DVT "
     "prophylaxis' (a medicine and its indication: 'asked for pain relief medication', "
     "'enoxaparin 40 mg for DVT prophylaxis') take its 'for'"},
    {"bilateral-sciatica", "sciatica bilateral", "hist-previous",
     "'sciatica bilateral, resolved' is read as 'sciatica resolved' (a side word inside a concept "
     "phrase is skipped), a resolved back pain: neither counts for suspected CES, as a historical "
     "bilateral sciatica would not"},
    {"bilateral-sciatica", "sciatica bilaterally", "hist-previous",
     "'sciatica bilateral, resolved' is read as 'sciatica resolved' (a side word inside a concept "
     "phrase is skipped), a resolved back pain: neither counts for suspected CES, as a historical "
     "bilateral sciatica would not"},
    {"aspiration", "synovial fluid sample",
     "neg-no|neg-caps|neg-there-is-no|neg-list-first|neg-seen|neg-at-present",
     "'No synovial fluid (sample)' is how a dry tap is recorded: read as a failed aspiration (142 "
     "F, 'no synovial fluid') on purpose"},
    {"vte-prophylaxis", NULL,
     "unc-mark|unc-query|unc-suspected|unc-to-exclude|unc-ro|unc-mark-space|unc-rule-out|"
     "unc-exclude|unc-mri-query|unc-query-for|unc-double-mark",
     "'?DVT', 'query DVT', 'suspected DVT', 'r/o DVT', 'to exclude DVT' are phrases of "
     "vascular-target (a scan for a suspected DVT is not MSK imaging, h81), so the uncertainty "
     "belongs to the DVT and 'prophylaxis'/'prevention' after it is read on its own; a suspected "
     "prophylaxis is not how a medicine is recorded, and prophylaxis only ever makes "
     "anticoagulation not met (GM070), so nothing decides on it"},
};

/* ---- loading ----------------------------------------------------------------------------- */

static void report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(*(int *)ctx)++;
	fprintf(stderr, "  (load) %s#%s: %s\n", file, pointer, message);
}

static char *source_file(const char *rel)
{
	char path[1024];
	const char *root = getenv("CDS_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
	return testkit_read(path, NULL);
}

/* The shipped vocabulary (NULL on error), and the parsed concepts.json and body-sites.json in
 * *concepts and *sites (NEW). */
static struct engine_vocab *load_vocab(cJSON **concepts, cJSON **sites)
{
	const char *names[3] = {"vocabulary/context.json", "vocabulary/concepts.json",
	                        "vocabulary/body-sites.json"};
	cJSON *json[3] = {NULL, NULL, NULL};
	struct engine_vocab *v = engine__vocab_new();
	int errors = 0;
	struct engine_reporter rep = {report, &errors};

	for (int i = 0; i < 3; i++) {
		char rel[128], *text;

		snprintf(rel, sizeof(rel), "policies/%s", names[i]);
		text = source_file(rel);
		json[i] = text != NULL ? cJSON_Parse(text) : NULL;
		free(text);
		if (json[i] == NULL) {
			errors++;
			continue;
		}
		errors += engine__vocab_add(v, json[i], names[i], &rep);
	}
	errors += engine__vocab_compile(v, &rep);
	cJSON_Delete(json[0]);
	*concepts = json[1];
	*sites = json[2];
	if (errors != 0) {
		engine__vocab_free(v);
		return NULL;
	}
	return v;
}

/* The concept ids policies/<name>.policy.json name in mentions('a|b|…'), each once (NEW list of NEW
 * strings in *ids; returns the count). */
static size_t policy_concepts(char ***ids)
{
	char dir[1024];
	const char *root = getenv("CDS_SOURCE_DIR");
	DIR *d;
	struct dirent *e;
	size_t n = 0, cap = 0;

	*ids = NULL;
	snprintf(dir, sizeof(dir), "%s/policies", root ? root : ".");
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char rel[512], *text, *p;

		if (len < 12 || strcmp(e->d_name + len - 12, ".policy.json") != 0)
			continue;
		snprintf(rel, sizeof(rel), "policies/%s", e->d_name);
		text = source_file(rel);
		for (p = text; p != NULL && (p = strstr(p, "mentions('")) != NULL;) {
			char *end;

			p += strlen("mentions('");
			end = strchr(p, '\'');
			if (end == NULL)
				break;
			while (p < end) {
				char *bar = memchr(p, '|', (size_t)(end - p));
				char *stop = bar != NULL ? bar : end;
				size_t k;

				for (k = 0; k < n; k++)
					if (strlen((*ids)[k]) == (size_t)(stop - p) &&
					    strncmp((*ids)[k], p, (size_t)(stop - p)) == 0)
						break;
				if (k == n) {
					if (n == cap) {
						cap = cap ? 2 * cap : 64;
						*ids = realloc(*ids, cap * sizeof(**ids));
					}
					(*ids)[n] = malloc((size_t)(stop - p) + 1);
					memcpy((*ids)[n], p, (size_t)(stop - p));
					(*ids)[n][stop - p] = '\0';
					n++;
				}
				p = stop + 1;
			}
		}
		free(text);
	}
	closedir(d);
	return n;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* A phrase as a clinician would type it: a `prefix*` phrase token becomes its prefix, a numeric
 * token `{n:LO-HI}` its highest number, `{fall:LO-HI}` the number the middle of that fall below
 * the number before it. */
static void typed(const char *phrase, char *out, size_t size)
{
	size_t o = 0;
	double last = 0;

	for (const char *p = phrase; *p != '\0' && o + 1 < size; p++) {
		int fall = strncmp(p, "{fall:", 6) == 0;

		if ((fall || strncmp(p, "{n:", 3) == 0) && strchr(p, '}') != NULL) {
			double lo = strtod(p + (fall ? 6 : 3), NULL);
			double hi = strtod(strchr(p + (fall ? 6 : 3), '-') + 1, NULL);
			int w;

			if (fall)
				w = snprintf(out + o, size - o, "%g", last * (1 - (lo + hi) / 200));
			else
				w = snprintf(out + o, size - o, "%g", last = hi);
			o += w > 0 && (size_t)w < size - o ? (size_t)w : 0;
			p = strchr(p, '}');
			continue;
		}
		if (*p != '*')
			out[o++] = *p;
	}
	out[o] = '\0';
}

/* The status of concept `c` at bytes [from, to) of text: a status name, "absent", or
 * "several" (two mentions there that disagree). */
static const char *reading(const struct engine_vocab *v, struct fhir_arena *arena, const char *text,
                           int c, size_t from, size_t to)
{
	struct engine__mention *m;
	size_t n;
	const char *found = "absent";

	engine__annotate(v, text, arena, &m, &n);
	for (size_t i = 0; i < n; i++) {
		const char *st;

		if (m[i].concept != c || m[i].end <= from || m[i].start >= to)
			continue;
		st = engine__status_names[m[i].status];
		if (strcmp(found, "absent") == 0)
			found = st;
		else if (strcmp(found, st) != 0)
			return "several";
	}
	return found;
}

/* Is `name` one of the '|'-separated names in `list`? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p != NULL; p = strchr(p, '|'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return 1;
	return 0;
}

static int excepted(const char *concept, const char *phrase, const char *tmpl, int *used)
{
	for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++) {
		const struct exception *x = &exceptions[i];

		if (x->why == NULL)
			continue;
		if ((x->concept == NULL || strcmp(x->concept, concept) == 0) &&
		    (x->phrase == NULL || strcmp(x->phrase, phrase) == 0) &&
		    (x->tmpl == NULL || listed(x->tmpl, tmpl))) {
			used[i]++;
			return 1;
		}
	}
	return 0;
}

struct tally {
	long tested, failed, excused, unreachable, own_status;
	long by_template[NTEMPLATES];
	int *used; /* per exception */
};

/* One concept: every phrase, alone and in every template of its kind. */
static void check_concept(const struct engine_vocab *v, const cJSON *concept, int kind,
                          struct tally *t)
{
	const char *id = cJSON_GetObjectItem(concept, "id")->valuestring;
	int c = engine__vocab_concept(v, id);
	const cJSON *phrase;

	cJSON_ArrayForEach(phrase, cJSON_GetObjectItem(concept, "phrases"))
	{
		struct fhir_arena *arena = fhir_arena_new();
		char x[256], text[512];
		const char *bare;

		typed(phrase->valuestring, x, sizeof(x));
		/* the phrase on its own must name its concept, affirmed; one that carries its own
		 * context ("suspected cancer") is read in its own way and not templated */
		bare = reading(v, arena, x, c, 0, strlen(x));
		if (strcmp(bare, "affirmed") != 0) {
			if (strcmp(bare, "absent") == 0 || strcmp(bare, "several") == 0) {
				if (!excepted(id, x, "bare", t->used)) {
					t->unreachable++;
					fprintf(stderr, "UNREACHABLE %s | %s | %s\n", id, x, bare);
				}
			} else {
				t->own_status++;
				fprintf(stderr, "OWN-STATUS %s | %s | %s\n", id, x, bare);
			}
			fhir_arena_free(arena);
			continue;
		}
		for (size_t k = 0; k < NTEMPLATES; k++) {
			const struct tmpl *tp = &templates[k];
			size_t from = strlen(tp->prefix);
			const char *got;

			if (!(tp->kinds & kind))
				continue;
			snprintf(text, sizeof(text), "%s%s%s", tp->prefix, x, tp->suffix);
			got = reading(v, arena, text, c, from, from + strlen(x));
			t->tested++;
			if (strcmp(got, tp->want) == 0)
				continue;
			if (excepted(id, x, tp->name, t->used)) {
				t->excused++;
				continue;
			}
			t->failed++;
			t->by_template[k]++;
			fprintf(stderr, "FAIL %s | %s | %s | \"%s\" | want %s, got %s\n", id, x,
			        tp->name, text, tp->want, got);
		}
		fhir_arena_free(arena);
	}
}

static void test_concepts(const struct engine_vocab *v, const cJSON *concepts)
{
	char **ids;
	size_t n = policy_concepts(&ids);
	struct tally t = {0};
	size_t nx = sizeof(exceptions) / sizeof(exceptions[0]);

	t.used = calloc(nx, sizeof(*t.used));
	OK(n > 20); /* the policies were found and read */
	for (size_t i = 0; i < n; i++) {
		const cJSON *concept = NULL, *it;
		int kind = 0;

		if (strncmp(ids[i], "site:", 5) == 0) {
			free(ids[i]);
			continue; /* body sites: test_sites */
		}
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(kinds[k].id, ids[i]) == 0)
				kind = kinds[k].kind;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(concepts, "concepts"))
		{
			if (strcmp(cJSON_GetObjectItem(it, "id")->valuestring, ids[i]) == 0)
			concept = it;
		}
		CHECK(concept != NULL, "policies ask about '%s', which concepts.json lacks",
		      ids[i]);
		CHECK(kind != 0, "policies ask about '%s': give it a kind in this test", ids[i]);
		if (concept != NULL && kind != 0)
			check_concept(v, concept, kind, &t);
		free(ids[i]);
	}
	free(ids);
	printf("concepts: %zu asked by the policies; %ld combinations tested, %ld failed, %ld "
	       "excepted; %ld phrases unreachable alone, %ld carrying their own status\n",
	       n, t.tested, t.failed, t.excused, t.unreachable, t.own_status);
	for (size_t k = 0; k < NTEMPLATES; k++)
		if (t.by_template[k] != 0)
			printf("  %-22s %ld failed\n", templates[k].name, t.by_template[k]);
	for (size_t i = 0; i < nx; i++)
		if (exceptions[i].why != NULL && t.used[i] == 0)
			printf("  NOTE: exception %s | %s | %s no longer needed\n",
			       exceptions[i].concept ? exceptions[i].concept : "*",
			       exceptions[i].phrase ? exceptions[i].phrase : "*",
			       exceptions[i].tmpl ? exceptions[i].tmpl : "*");
	free(t.used);
	CHECK(t.failed == 0, "%ld concept/phrase/template combinations read wrongly", t.failed);
	CHECK(t.unreachable == 0, "%ld phrases do not name their concept on their own",
	      t.unreachable);
}

/* ---- body sites and sides ---------------------------------------------------------------- */

static const struct side_style {
	const char *name, *prefix, *suffix;
	unsigned want;
} side_styles[] = {
    {"R", "R ", "", ENGINE_SIDE_RIGHT},
    {"Rt", "Rt ", "", ENGINE_SIDE_RIGHT},
    {"right", "Right ", "", ENGINE_SIDE_RIGHT},
    {"(left)", "", " (left)", ENGINE_SIDE_LEFT},
    {"(L)", "(L) ", "", ENGINE_SIDE_LEFT},
    {"L)", "", " L)", ENGINE_SIDE_LEFT},
    {"Lt", "Lt ", "", ENGINE_SIDE_LEFT},
    {", left", "", ", left", ENGINE_SIDE_LEFT},
    {"bilateral", "Bilateral ", "", ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT},
    {"both", "Both ", "", ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT},
    {"b/l", "B/L ", "", ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT},
    {"L", "L ", "", ENGINE_SIDE_LEFT},
    {", R", "", ", R", ENGINE_SIDE_RIGHT},
    {"R sided", "R sided ", "", ENGINE_SIDE_RIGHT},
    {"right-sided", "Right-sided ", "", ENGINE_SIDE_RIGHT},
    {"LHS", "LHS ", "", ENGINE_SIDE_LEFT},
    {"(R)", "", " (R)", ENGINE_SIDE_RIGHT},
    {"- left", "", " - left", ENGINE_SIDE_LEFT},
    {"bilaterally", "", " bilaterally", ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT},
    {"left and right", "Left and right ", "", ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT},
    {"pain in right", "Pain in right ", " for 3 months", ENGINE_SIDE_RIGHT},
    {"injection left", "Injection of left ", " under US", ENGINE_SIDE_LEFT},
};

/* The sides of region concept `c`'s mentions at bytes [from, to): side bits, -1 absent, -2
 * mentions that disagree. */
static int site_sides(const struct engine_vocab *v, struct fhir_arena *arena, const char *text,
                      int c, size_t from, size_t to)
{
	struct engine__mention *m;
	size_t n;
	int found = -1;

	engine__annotate(v, text, arena, &m, &n);
	for (size_t i = 0; i < n; i++) {
		if (m[i].concept != c || m[i].end <= from || m[i].start >= to)
			continue;
		if (found == -1)
			found = (int)m[i].sides;
		else if (found != (int)m[i].sides)
			return -2;
	}
	return found;
}

static void test_sites(const struct engine_vocab *v, const cJSON *sites)
{
	const cJSON *region;
	long tested = 0, failed = 0;

	cJSON_ArrayForEach(region, cJSON_GetObjectItem(sites, "regions"))
	{
		const char *id = cJSON_GetObjectItem(region, "id")->valuestring;
		int paired = cJSON_IsTrue(cJSON_GetObjectItem(region, "paired"));
		char cid[128];
		int c;
		const cJSON *phrase;

		snprintf(cid, sizeof(cid), "site:%s", id);
		c = engine__vocab_concept(v, cid);
		cJSON_ArrayForEach(phrase, cJSON_GetObjectItem(region, "phrases"))
		{
			struct fhir_arena *arena = fhir_arena_new();
			char x[256], text[512];
			int got;

			typed(phrase->valuestring, x, sizeof(x));
			got = site_sides(v, arena, x, c, 0, strlen(x));
			tested++;
			if (got != 0) {
				failed++;
				fprintf(stderr, "SITE-FAIL %s | %s | bare | sides %d\n", id, x,
				        got);
				fhir_arena_free(arena);
				continue;
			}
			for (size_t k = 0;
			     paired && k < sizeof(side_styles) / sizeof(side_styles[0]); k++) {
				const struct side_style *s = &side_styles[k];
				size_t from = strlen(s->prefix);

				snprintf(text, sizeof(text), "%s%s%s", s->prefix, x, s->suffix);
				got = site_sides(v, arena, text, c, from, from + strlen(x));
				tested++;
				if (got == (int)s->want)
					continue;
				failed++;
				fprintf(stderr,
				        "SITE-FAIL %s | %s | %s | \"%s\" | want %u, got %d\n", id,
				        x, s->name, text, s->want, got);
			}
			fhir_arena_free(arena);
		}
	}
	printf("sites: %ld term/side combinations tested, %ld failed\n", tested, failed);
	CHECK(failed == 0, "%ld body-site term/side combinations read wrongly", failed);
}

int main(void)
{
	cJSON *concepts = NULL, *sites = NULL;
	struct engine_vocab *v = load_vocab(&concepts, &sites);

	OK(v != NULL);
	if (v != NULL) {
		test_concepts(v, concepts);
		test_sites(v, sites);
	}
	engine__vocab_free(v);
	cJSON_Delete(concepts);
	cJSON_Delete(sites);
	return testkit_done();
}
