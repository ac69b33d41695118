from lib import *
SEED_LUMBAR = "Seed 004 (GM070): lumbar facet joint injections are not commissioned; medial branch block is the diagnostic tool of choice."
SEED_CI = "Seed 004 contraindications: 'local or systemic infection', 'substantial therapeutic or constitutional anticoagulation', patient 'unwilling or not cooperating'."
SEED_SI = "Seed 004: image-guided SI joint injection requires individual prior approval: failed conservative management AND (positive SI provocation test OR degenerative sacroiliitis)."

def fji(id="sr-fji", **kw):
    return sr(id, "Lumbar facet joint injection L4/5 bilateral - image guided", reason="Chronic low back pain", **kw)
def clbp():
    return cond("c-clbp", "Chronic low back pain", [(SCT, "278860009", "Chronic low back pain")], onset="2023-01-10")
def lum(infection="not-met", anticoagulation="not-met", unwilling="not-met"):
    return {"excluded": "not-met", "region": "met", "infection": infection, "anticoagulation": anticoagulation, "unwilling": unwilling}
def mbb(o="sr-fji", **k):
    return card("warning", GM, o, "not-commissioned", ["medial-branch-block", "ifr"], lum(**k))
def ci(o="sr-fji", **k):
    return card("warning", GM, o, "contraindicated", ["do-not-request", "medial-branch-block", "ifr"], lum(**k))
def D(o="sr-fji", d="not-commissioned"):
    return [dec(GM, o, d)]

# 1 apixaban doNotPerform
apx = medreq("m-apx", "Apixaban 5mg tablets", doNotPerform=True, authored="2025-06-02",
             reasonCode=[{"text": "Do not restart - GI bleed May 2025"}])
write("h106-gm070-lumbar-fji-apixaban-request-donotperform-not-anticoagulated-mbb",
      "Lumbar FJI; the only anticoagulant record is a MedicationRequest apixaban 5mg with doNotPerform true ('Do not restart - GI bleed May 2025'): an instruction NOT to give it. " + SEED_CI + " anticoagulation not met. " + SEED_LUMBAR + " -> not commissioned, medial branch block, IFR.",
      [fji()], [mbb()], D(), conditions=[clbp()], medications=[apx])
# 2 apixaban active control
apx = medreq("m-apx", "Apixaban 5mg tablets", authored="2025-06-02", dosageInstruction=[{"text": "One tablet twice a day"}],
             reasonCode=[{"text": "Atrial fibrillation"}])
write("h106-gm070-lumbar-fji-apixaban-5mg-bd-af-active-request-contraindicated",
      "Lumbar FJI; active MedicationRequest apixaban 5mg twice a day for AF (therapeutic DOAC). " + SEED_CI + " anticoagulation met -> contraindicated (do not request), with the lumbar recommendations.",
      [fji()], [ci(anticoagulation="met")], D(d="contraindicated"), conditions=[clbp()], medications=[apx])
# 3 warfarin statement intended? -> covered; use warfarin request intent proposal status draft from anticoag clinic? skip. Discitis relapse
dis = cond("c-dis", "Discitis L3/4", onset="2025-01-05", clinical="relapse")
write("h106-gm070-lumbar-fji-discitis-clinicalstatus-relapse-contraindicated",
      "Lumbar FJI; Condition 'Discitis L3/4' clinicalStatus relapse (an active status). " + SEED_CI + " Infection at the spine: infection met -> contraindicated.",
      [fji()], [ci(infection="met")], D(d="contraindicated"), conditions=[clbp(), dis])
# 4 discitis remission
dis = cond("c-dis", "Discitis L3/4", onset="2024-01-05", clinical="remission", abatementDateTime="2024-05-01")
write("h106-gm070-lumbar-fji-discitis-clinicalstatus-remission-abated-2024-mbb",
      "Lumbar FJI; Condition 'Discitis L3/4' clinicalStatus remission, abated May 2024 (IV antibiotics completed). Not active. " + SEED_CI + " infection not met. " + SEED_LUMBAR,
      [fji()], [mbb()], D(), conditions=[clbp(), dis])
# 5 discitis duplicate versions latest refuted
d1 = cond("c-dis", "Discitis L4/5", onset="2025-09-01", meta={"versionId": "1", "lastUpdated": "2025-09-01T10:00:00Z"})
d2 = cond("c-dis", "Discitis L4/5", onset="2025-09-01", ver="refuted", clinical="inactive", meta={"versionId": "2", "lastUpdated": "2025-09-08T16:00:00Z"})
write("h106-gm070-lumbar-fji-discitis-two-versions-latest-refuted-mri-normal-mbb",
      "Lumbar FJI; Condition/c-dis sent in two versions: versionId 1 active confirmed, versionId 2 a week later refuted/inactive (MRI normal). The latest version is the record; a refuted Condition is no evidence. " + SEED_CI + " infection not met. " + SEED_LUMBAR,
      [fji()], [mbb()], D(), conditions=bundle([clbp(), d2, d1]))
# 6 previous facet injection stopped because not cooperating
prev = proc("p-prev", "Lumbar facet joint injection", status="stopped", when="2025-07-22",
            statusReason={"text": "Patient unable to keep still, not cooperating - procedure abandoned"})
write("h106-gm070-lumbar-fji-previous-attempt-stopped-not-cooperating-contraindicated",
      "Lumbar FJI; a previous lumbar facet joint injection Procedure status stopped, statusReason 'Patient unable to keep still, not cooperating - procedure abandoned'. " + SEED_CI + " Lack of cooperation for this procedure recorded: unwilling met -> contraindicated.",
      [fji()], [ci(unwilling="met")], D(d="contraindicated"), conditions=[clbp()], procedures=[prev])
# 7 order status on-hold intent plan
write("h106-gm070-order-sign-lumbar-fji-on-hold-intent-plan-mbb-one-action",
      "order-sign of a lumbar FJI with status on-hold and intent plan: still a request to act. " + SEED_LUMBAR + " -> not commissioned warning, one system action.",
      [fji(status="on-hold", intent="plan")], [mbb()], D(), conditions=[clbp()])
# 8 warfarin statement status stopped, effectivePeriod ended
wf = medstmt("m-wf", "Warfarin 1mg tablets", status="stopped", effectivePeriod={"start": "2024-02-01", "end": "2024-08-01"},
             reasonCode=[{"text": "DVT left leg - 6 month course"}])
write("h106-gm070-cervical-fji-warfarin-statement-stopped-course-ended-2024-ifr",
      "Cervical FJI C5/6; MedicationStatement warfarin status stopped, effectivePeriod Feb-Aug 2024 (6-month DVT course). Not current. " + SEED_CI + " anticoagulation not met. Seed 004: cervical facet injections not commissioned; IFR -> warning.",
      [sr("sr-cfji", "Cervical facet joint injection C5/6 right", reason="Neck pain")],
      [card("warning", GM, "sr-cfji", "not-commissioned", ["ifr"], lum())], D("sr-cfji"),
      conditions=[cond("c-np", "Neck pain", [(SCT, "81680005", "Neck pain")], onset="2024-10-01")], medications=[wf])

# SI cases
def sij(id="sr-sij", **kw):
    return sr(id, "Image guided sacroiliac joint injection - right", reason="Right SIJ pain", **kw)
def sijpain():
    return cond("c-sij", "Sacroiliac joint pain", [(SCT, "202487003", "Sacroiliac joint pain")], onset="2024-09-01",
                bodySite=[{"text": "Right sacroiliac joint"}])
def physio_si():
    return proc("p-physio", "Physiotherapy for right sacroiliac joint pain", when={"start": "2025-02-01", "end": "2025-05-10"},
                outcome={"text": "No improvement"})
def si(cf="met", prov="not-met", sac="not-met"):
    return {"excluded": "not-met", "conservativeFailed": cf, "provocationPositive": prov, "sacroiliitis": sac}
def pa(**k):
    return card("info", GM, "sr-sij", "prior-approval-required", ["prior-approval"], si(**k))
def nc(**k):
    return card("warning", GM, "sr-sij", "not-commissioned", ["ifr"], si(**k))

# 9 thigh thrust valueBoolean true
write("h106-gm070-si-thigh-thrust-observation-valueboolean-true-prior-approval",
      "Image-guided SI joint injection; physio Feb-May 2025 no improvement (conservative failed); Observation 'Thigh thrust test' valueBoolean true. " + SEED_SI + " provocationPositive met -> prior approval required (info).",
      [sij()], [pa(prov="met")], D("sr-sij", "prior-approval-required"), conditions=[sijpain()], procedures=[physio_si()],
      observations=[obs("o-tt", "Thigh thrust test", valueBoolean=True)])
# 10 thigh thrust valueBoolean false
write("h106-gm070-si-thigh-thrust-observation-valueboolean-false-not-met-ifr",
      "Image-guided SI joint injection; physio failed; Observation 'Thigh thrust test' valueBoolean false (negative), no sacroiliitis. " + SEED_SI + " provocationPositive not met, sacroiliitis not met -> not commissioned (warning, IFR).",
      [sij()], [nc()], D("sr-sij"), conditions=[sijpain()], procedures=[physio_si()],
      observations=[obs("o-tt", "Thigh thrust test", valueBoolean=False)])
# 11 laslett cluster components valueBoolean 3 of 5
comps = [("Distraction test", True), ("Thigh thrust test", True), ("Compression test", False), ("Gaenslen's test", True), ("Sacral thrust test", False)]
clu = obs("o-clu", "Sacroiliac joint provocation tests", component=[{"code": {"text": t}, "valueBoolean": v} for t, v in comps])
write("h106-gm070-si-laslett-cluster-components-valueboolean-3-of-5-prior-approval",
      "Image-guided SI joint injection; physio failed; one Observation 'Sacroiliac joint provocation tests' with five components answered by valueBoolean: distraction true, thigh thrust true, compression false, Gaenslen true, sacral thrust false (3 of 5 positive). policies.md: 'a cluster with >= 3 of its 5 tests positive (Laslett et al., Man Ther 2005)'. provocationPositive met -> prior approval.",
      [sij()], [pa(prov="met")], D("sr-sij", "prior-approval-required"), conditions=[sijpain()], procedures=[physio_si()], observations=[clu])
# 12 laslett components valueBoolean 2 of 5
comps = [("Distraction test", False), ("Thigh thrust test", True), ("Compression test", False), ("Gaenslen's test", True), ("Sacral thrust test", False)]
clu = obs("o-clu", "Sacroiliac joint provocation tests", component=[{"code": {"text": t}, "valueBoolean": v} for t, v in comps])
write("h106-gm070-si-laslett-cluster-components-valueboolean-2-of-5-not-met-ifr",
      "Image-guided SI joint injection; physio failed; provocation cluster of five components by valueBoolean with only 2 true (thigh thrust, Gaenslen). policies.md: cluster positive needs >= 3 of 5. provocationPositive not met; no sacroiliitis -> not commissioned (warning, IFR).",
      [sij()], [nc()], D("sr-sij"), conditions=[sijpain()], procedures=[physio_si()], observations=[clu])
# 13 FABER interpretation POS only, valueCodeableConcept
write("h106-gm070-si-faber-observation-valuecodeableconcept-positive-corrected-prior-approval",
      "Image-guided SI joint injection; physio failed; Observation 'FABER test' status corrected with valueCodeableConcept text 'Positive - reproduces right buttock pain'. Corrected is a final result. " + SEED_SI + " provocationPositive met -> prior approval.",
      [sij()], [pa(prov="met")], D("sr-sij", "prior-approval-required"), conditions=[sijpain()], procedures=[physio_si()],
      observations=[obs("o-faber", "FABER test", status="corrected", valueCodeableConcept={"text": "Positive - reproduces right buttock pain"})])
# 14 sacroiliitis code-only recurrence
sac = cond("c-sac", None, [(SCT, "55146009", "Inflammation of sacroiliac joint")], clinical="recurrence", onset="2022-03-01")
write("h106-gm070-si-sacroiliitis-code-only-clinicalstatus-recurrence-prior-approval",
      "Image-guided SI joint injection; physio failed; Condition coded only 55146009 (Inflammation of sacroiliac joint, no text) clinicalStatus recurrence. policies.md: 'an active Condition of sacroiliitis (e.g. Inflammation of sacroiliac joint)'. sacroiliitis met -> prior approval.",
      [sij()], [pa(sac="met")], D("sr-sij", "prior-approval-required"), conditions=[sijpain(), sac], procedures=[physio_si()])
# 15 sacroiliitis inactive
sac = cond("c-sac", "Sacroiliitis", [(SCT, "55146009", "Inflammation of sacroiliac joint")], clinical="inactive", onset="2019-03-01",
           abatementDateTime="2020-01-01")
write("h106-gm070-si-sacroiliitis-inactive-abated-2020-not-met-ifr",
      "Image-guided SI joint injection; physio failed; 'Sacroiliitis' Condition clinicalStatus inactive (abated 2020); no provocation test. policies.md: 'an active Condition of sacroiliitis'. sacroiliitis not met, provocationPositive not met -> not commissioned (warning, IFR).",
      [sij()], [nc()], D("sr-sij"), conditions=[sijpain(), sac], procedures=[physio_si()])
# 16 physio procedure not-done with statusReason only -> conservative unknown
pnd = proc("p-physio", "Physiotherapy for right sacroiliac joint pain", status="not-done", when=None,
           statusReason={"text": "Waiting list - not yet seen"})
write("h106-gm070-si-physio-not-done-waiting-list-thigh-thrust-positive-conservative-unknown-info",
      "Image-guided SI joint injection; SIJ pain since Sept 2024; physiotherapy Procedure status not-done (statusReason 'Waiting list - not yet seen'); thigh thrust positive. A treatment not done is no treatment: policies.md conservativeFailed 'as E': unknown when the problem is there but no treatment is recorded -> criteria unknown (info, document criteria).",
      [sij()], [card("info", GM, "sr-sij", "criteria-unknown", ["document-criteria"], si(cf="unknown", prov="met"))],
      D("sr-sij", "criteria-unknown"), conditions=[sijpain()], procedures=[pnd],
      observations=[obs("o-tt", "Thigh thrust test", valueBoolean=True)])
# 17 duplicate provocation obs: later version entered-in-error
t1 = obs("o-tt", "Thigh thrust test", valueBoolean=True, meta={"versionId": "1", "lastUpdated": "2025-09-01T10:00:00Z"})
t2 = obs("o-tt", "Thigh thrust test", status="entered-in-error", valueBoolean=True, meta={"versionId": "2", "lastUpdated": "2025-09-02T08:00:00Z"})
write("h106-gm070-si-thigh-thrust-two-versions-latest-entered-in-error-not-met-ifr",
      "Image-guided SI joint injection; physio failed; Observation/o-tt 'Thigh thrust test' positive sent in two versions, the later one (versionId 2) entered-in-error. The latest version is the record; no other test, no sacroiliitis -> provocationPositive not met -> not commissioned (warning, IFR).",
      [sij()], [nc()], D("sr-sij"), conditions=[sijpain()], procedures=[physio_si()], observations=bundle([t1, t2]))
