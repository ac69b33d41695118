from lib import *
SEED_C = "Seed 000: 'No symptomatic relief after two landmark guided injections'."
SEED_B = "Seed 000: 'Failure to identify landmarks due to obesity or another disease process'; policies.md B: unknown when 'obesity is recorded (Condition, or BMI Observation >= 30 kg/m2) ... but not the failure itself'."
SEED_E = "Seed 000: 'AND No response to conservative treatment over at least three months'."
SEED_A = "Seed 000: 'History of severe trauma which would derange the normal architecture of the joint'; policies.md A: met when 'a Condition (any clinical status; not refuted or entered in error) records a fracture, dislocation or other structural injury of that joint'."

def oa():
    return cond("c-oa-rk", "Osteoarthritis of right knee", [(SCT, "239873007", "Osteoarthritis of knee")],
                bodySite=[{"text": "Right knee"}])
def physio():
    return proc("p-physio", "Physiotherapy for right knee", when={"start": "2025-01-10", "end": "2025-04-20"},
                bodySite=[{"text": "Right knee"}], outcome={"text": "No improvement"})
def lgi(id, when, outcome="No benefit", **kw):
    return proc(id, "Landmark guided steroid injection right knee", when=when,
                bodySite=[{"text": "Right knee"}], outcome={"text": outcome}, **kw)
def usgi(id="sr-usgi-rk", **kw):
    return sr(id, "US guided steroid injection R knee", reason="OA right knee", **kw)

def crit(A="not-met", B="not-met", C="not-met", D="not-met", E="met"):
    return {"A": A, "B": B, "C": C, "D": D, "E": E}
def warn(o="sr-usgi-rk", **k):
    return card("warning", HNY, o, "not-commissioned", ["landmark-guided-injection"], crit(**k))
def info(o="sr-usgi-rk", **k):
    return card("info", HNY, o, "criteria-unknown", ["document-criteria"], crit(**k))

# 1 duplicate of the same Procedure id (match + include) is one injection, not two
p1 = lgi("p-lgi-1", "2025-03-12")
write("h106-hny142-c-one-lgi-sent-twice-same-id-match-and-include-c-not-met-warning",
      "USGI R knee; the only landmark-guided injection (Procedure/p-lgi-1, no benefit) appears twice in the procedures Bundle with the same id (once search.mode match, once include, as a server returns a resource matched and _included). One Procedure resource is one injection. " + SEED_C + " C not met (one injection); A, B, D not met; E met (physio for the right knee Jan-Apr 2025, OA since 2023) -> not commissioned, landmark-guided injection.",
      [usgi()], [warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[oa()], procedures=bundle([p1, physio(), p1], ["match", "match", "include"]))

# 2 two different injections, one of them duplicated: still C met
p1 = lgi("p-lgi-1", "2024-11-05"); p2 = lgi("p-lgi-2", "2025-03-12")
write("h106-hny142-c-two-lgi-one-sent-twice-c-met-commissioned",
      "USGI R knee; two different landmark-guided injections of the right knee (Nov 2024, Mar 2025, both 'No benefit'), the second listed twice with the same id. " + SEED_C + " Two distinct injections without relief: C met; E met (physio for the right knee since Jan 2025) -> commissioned, quiet (no card), decision recorded.",
      [usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[oa()], procedures=bundle([p1, p2, physio(), p2], ["match", "match", "match", "include"]))

# 3 two versions of the same id: the later one is entered-in-error
p1 = lgi("p-lgi-1", "2024-11-05")
p2a = lgi("p-lgi-2", "2025-03-12", meta={"versionId": "1", "lastUpdated": "2025-03-12T11:00:00Z"})
p2b = lgi("p-lgi-2", "2025-03-12", meta={"versionId": "2", "lastUpdated": "2025-03-13T09:00:00Z"})
p2b["status"] = "entered-in-error"
write("h106-hny142-c-second-lgi-two-versions-latest-entered-in-error-c-not-met-warning",
      "USGI R knee; Procedure/p-lgi-2 is sent in two versions (meta.versionId 1 completed, versionId 2 of the next day entered-in-error: it was recorded on the wrong patient). The latest version of a resource is the record; so only p-lgi-1 is a landmark-guided injection. " + SEED_C + " C not met; E met -> not commissioned, landmark-guided injection.",
      [usgi()], [warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[oa()], procedures=bundle([p1, p2a, physio(), p2b]))

# 4 second injection in-progress -> only one completed
p1 = lgi("p-lgi-1", "2024-11-05"); p2 = lgi("p-lgi-2", "2025-09-15T09:40:00Z", outcome=None)
del p2["outcome"]; p2["status"] = "in-progress"
write("h106-hny142-c-second-lgi-status-in-progress-c-not-met-warning",
      "USGI R knee ordered while a second landmark-guided injection is recorded in-progress (started this morning, no result). Only a completed injection without relief counts. " + SEED_C + " C not met (one completed); E met -> not commissioned.",
      [usgi()], [warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[oa()], procedures=[p1, p2, physio()])

# 5 latest BMI has dataAbsentReason; older BMI 34 still records obesity
b_old = bmi("o-bmi-1", 34.2, when="2025-03-04")
b_new = obs("o-bmi-2", "Body mass index", when="2025-09-01",
            dataAbsentReason={"coding": [{"system": DAR, "code": "asked-declined"}], "text": "Patient declined to be weighed"})
write("h106-hny142-b-latest-bmi-data-absent-declined-older-bmi-34-b-unknown-info",
      "USGI R knee; BMI 34.2 kg/m2 (March 2025) and a later BMI Observation with no value (dataAbsentReason asked-declined). An Observation without a value records nothing, so the last BMI recorded is 34.2. " + SEED_B + " B unknown; A, C, D not met; E met -> criteria unknown, info.",
      [usgi()], [info(B="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[oa()], procedures=[physio()], observations=[b_old, b_new])

# 6 BMI 30.0 in a hasMember panel, effectivePeriod
b = bmi("o-bmi", 30.0, when={"start": "2025-08-20T09:00:00Z", "end": "2025-08-20T09:10:00Z"})
panel = obs("o-panel", "Body measurements", when="2025-08-20T09:00:00Z", hasMember=[{"reference": "Observation/o-bmi"}])
write("h106-hny142-b-bmi-30-0-member-of-panel-effectiveperiod-b-unknown-info",
      "USGI R knee; a 'Body measurements' panel Observation with hasMember -> BMI 30.0 kg/m2 (UCUM kg/m2, effectivePeriod). 30.0 is >= 30. " + SEED_B + " B unknown; E met -> criteria unknown, info.",
      [usgi()], [info(B="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[oa()], procedures=[physio()], observations=[panel, b])

# 7 BMI 29.9 with interpretation H -> below 30
b = bmi("o-bmi", 29.9, interpretation=[{"coding": [{"system": INTERP, "code": "H", "display": "High"}]}])
write("h106-hny142-b-bmi-29-9-interpretation-high-b-not-met-warning",
      "USGI R knee; BMI 29.9 kg/m2 flagged interpretation H (above the normal range: overweight). Below the BMI 30 the policies.md rule names; no obesity Condition. " + SEED_B + " B not met; E met -> not commissioned.",
      [usgi()], [warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[oa()], procedures=[physio()], observations=[b])

# 8 BMI only in an Observation contained in the order, referenced by supportingInfo '#bmi'
o = usgi(); o["contained"] = [dict(bmi("bmi", 36.8, when="2025-09-10"), subject={"reference": "Patient/" + PID})]
o["supportingInfo"] = [{"reference": "#bmi", "display": "BMI"}]
write("h106-hny142-b-bmi-36-contained-in-order-supportinginfo-b-unknown-info",
      "USGI R knee; the order carries its supporting BMI as a contained Observation (BMI 36.8 kg/m2, referenced by supportingInfo '#bmi'); the observations prefetch is an empty Bundle. policies.md B evidence includes 'supporting info' and 'BMI Observation >= 30'. " + SEED_B + " B unknown; E met -> criteria unknown, info.",
      [o], [info(B="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[oa()], procedures=[physio()], observations=[])

# 9 obesity code-only, clinicalStatus recurrence
ob = cond("c-obes", None, [(SCT, "414916001", "Obesity")], clinical="recurrence", onset="2018-01-01")
write("h106-hny142-b-obesity-code-only-clinicalstatus-recurrence-b-unknown-info",
      "USGI R knee; Condition Obesity coded only (SNOMED 414916001, no text), clinicalStatus recurrence (an active status). " + SEED_B + " Obesity recorded, failure not: B unknown; E met -> criteria unknown, info.",
      [usgi()], [info(B="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[oa(), ob], procedures=[physio()])

# 10 obesity in remission + latest BMI 27 -> not met
ob = cond("c-obes", "Obesity", [(SCT, "414916001", "Obesity")], clinical="remission", onset="2016-01-01",
          abatementDateTime="2023-06-01")
write("h106-hny142-b-obesity-remission-after-weight-loss-bmi-27-b-not-met-warning",
      "USGI R knee; Obesity Condition clinicalStatus remission (abated June 2023), latest BMI 27.1 kg/m2. Obesity is no longer current. " + SEED_B + " B not met; E met -> not commissioned.",
      [usgi()], [warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[oa(), ob], procedures=[physio()], observations=[bmi("o-bmi", 27.1, when="2025-07-01")])

# 11 fracture differential -> A unknown
fx = cond("c-fx", "Fracture of right tibial plateau", ver="differential", onset="2025-02-01",
          category="encounter-diagnosis", bodySite=[{"text": "Right knee"}])
write("h106-hny142-a-tibial-plateau-fracture-verification-differential-a-unknown-info",
      "USGI R knee; 'Fracture of right tibial plateau' recorded with verificationStatus differential (one of several possibilities). " + SEED_A + " A record suggests but does not establish it (policies.md: unknown when 'the record suggests but does not establish it'): A unknown; E met -> criteria unknown, info.",
      [usgi()], [info(A="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[oa(), fx], procedures=[physio()])

# 12 resolved fracture encounter-diagnosis -> A met
fx = cond("c-fx", "Fracture of right tibial plateau", clinical="resolved", onset="2019-04-03",
          category="encounter-diagnosis", abatementDateTime="2019-09-01", bodySite=[{"text": "Right knee"}])
write("h106-hny142-a-tibial-plateau-fracture-resolved-encounter-diagnosis-a-met-commissioned",
      "USGI R knee; 'Fracture of right tibial plateau' 2019, clinicalStatus resolved, category encounter-diagnosis (A&E). " + SEED_A + " Any clinical status counts: A met; E met -> commissioned, quiet.",
      [usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[oa(), fx], procedures=[physio()])

# 13 code display 'Injury of knee' but text names the fracture -> A met
fx = cond("c-inj", "Fractured right patella - ORIF", [(SCT, "125601008", "Injury of knee")], clinical="inactive",
          onset="2020-08-14", bodySite=[{"text": "Right knee"}])
write("h106-hny142-a-code-injury-of-knee-text-fractured-patella-a-met-commissioned",
      "USGI R knee; Condition coded 125601008 'Injury of knee' whose text (what the clinician wrote) names the nature: 'Fractured right patella - ORIF', inactive. The text is more specific than the code. " + SEED_A + " A met; E met -> commissioned, quiet.",
      [usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[oa(), fx], procedures=[physio()])

# 14 naproxen doNotPerform is not treatment; C met but E unknown
p1 = lgi("p-lgi-1", "2024-11-05"); p2 = lgi("p-lgi-2", "2025-03-12")
nap = medreq("m-nap", "Naproxen 500mg tablets", doNotPerform=True,
             reasonCode=[{"text": "Do not prescribe NSAIDs - CKD stage 3b"}])
write("h106-hny142-e-naproxen-request-donotperform-not-treatment-e-unknown-info",
      "USGI R knee; two landmark-guided injections without relief (C met); the only 'treatment' record is a MedicationRequest for naproxen with doNotPerform true (a prohibition: NSAIDs not to be prescribed, CKD). policies.md E: analgesics 'actually given'. OA since 2023 (>= 3 months) with no treatment recorded: E unknown -> criteria unknown, info.",
      [usgi()], [info(C="met", E="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[oa()], procedures=[p1, p2], medications=[nap])

# 15 same, but paracetamol actually taken (MedicationStatement) -> E met, commissioned
pcm = medstmt("m-pcm", "Paracetamol 1g QDS", status="active", effectivePeriod={"start": "2024-10-01"},
              reasonCode=[{"text": "Right knee OA pain"}])
write("h106-hny142-e-naproxen-donotperform-but-paracetamol-statement-since-2024-e-met-commissioned",
      "USGI R knee; naproxen doNotPerform (CKD) but a MedicationStatement paracetamol 1g QDS for right knee OA pain, active since Oct 2024; two landmark-guided injections without relief. " + SEED_E + " E met (analgesic taken >= 3 months), C met -> commissioned, quiet.",
      [usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[oa()], procedures=[p1, p2], medications=[nap, pcm])

# 16 order-select: selected order is doNotPerform, unselected USGI draft -> nothing
dnp = usgi("sr-dnp"); dnp["doNotPerform"] = True; dnp["code"] = {"text": "US guided injection L knee"}
other = usgi("sr-usgi-rk")
write("h106-hny142-order-select-selected-donotperform-usgi-unselected-usgi-no-card",
      "order-select: the selected order is a ServiceRequest doNotPerform true ('US guided injection L knee' NOT to be done); the other USGI draft is not selected. policies.md Trigger: on order-select only selections are assessed; a doNotPerform request is not an order for the procedure. No card, no decision.",
      [dnp, other], [], [], hook="order-select", selections=["ServiceRequest/sr-dnp"],
      conditions=[oa()], procedures=[physio()])

# 17 order-sign: status on-hold, intent plan -> still assessed
o = usgi(status="on-hold", intent="plan")
write("h106-hny142-order-sign-usgi-on-hold-intent-plan-still-assessed-warning-one-action",
      "order-sign of a USGI R knee with status on-hold and intent plan (a planned request, paused pending the clinic slot): still a request to act (not revoked, completed or entered-in-error). " + SEED_C + " Nothing but E met -> not commissioned warning, one system action.",
      [o], [warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[oa()], procedures=[physio()])

# 18 two LGIs, one with performedString, one performedPeriod, usedCode -> C met
p1 = proc("p-lgi-1", "Landmark guided steroid injection right knee", when=None, performedString="Autumn 2024",
          bodySite=[{"text": "Right knee"}], outcome={"text": "No benefit"}, usedCode=[{"text": "Depo-Medrone 40mg"}])
p2 = lgi("p-lgi-2", {"start": "2025-04-02T10:00:00Z", "end": "2025-04-02T10:15:00Z"}, outcome="No improvement at 6 week review",
         usedCode=[{"text": "Triamcinolone 40mg"}])
write("h106-hny142-c-two-lgi-performedstring-and-performedperiod-c-met-commissioned",
      "USGI R knee; two completed landmark-guided injections, one dated only by performedString 'Autumn 2024', the other by performedPeriod, with usedCode steroid; neither relieved. " + SEED_C + " C met (the criterion has no date qualifier); E met -> commissioned, quiet.",
      [usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[oa()], procedures=[p1, p2, physio()])

# 19 procedures prefetch: Bundle with entries AND an information OperationOutcome (not an error)
oo = {"resourceType": "OperationOutcome", "id": "oo-1", "issue": [{"severity": "information", "code": "informational", "diagnostics": "Results filtered to the last 5 years"}]}
p1 = lgi("p-lgi-1", "2024-11-05"); p2 = lgi("p-lgi-2", "2025-03-12")
write("h106-hny142-procedures-bundle-with-information-operationoutcome-entry-c-met-commissioned",
      "USGI R knee; the procedures Bundle carries an OperationOutcome entry (search.mode outcome, severity information) next to its matches: two landmark-guided injections without relief and physio since Jan 2025. The matches are usable data. " + SEED_C + " C met, E met -> commissioned, quiet.",
      [usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[oa()], procedures=bundle([p1, p2, physio(), oo]))

# 20 OA condition refuted latest version, earlier version active (duplicates) -> no problem... keep simpler: physio on other knee
