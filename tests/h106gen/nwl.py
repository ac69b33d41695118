from lib import *
SEED_CES = "Seed 003 (NWL MSK imaging): suspected cauda equina syndrome 'must not be managed in primary care' - urgent/acute onward referral; policies.md: 'cauda equina syndrome is named, not negated, in an active Condition (any verification status) ... or the red-flag cluster ... back pain or sciatica with saddle or perineal sensory loss, or new bladder, bowel or sexual dysfunction'."
SEED_MSK = "Seed 003: MSK MRI/US 'not routinely' requested from primary care; refer to the community/interface MSK service."
SEED_CA = "Seed 003: suspected cancer -> local cancer pathway; policies.md suspectedCancer: 'a malignancy is named as suspected (... verification provisional/differential/unconfirmed) in a Condition'."

def mri_ls(id="sr-mri-ls", **kw):
    return sr(id, "MRI lumbar spine", [(SCT, "241645008", "Magnetic resonance imaging of spine")], reason="Low back pain with sciatica", **kw)
def lbp():
    return cond("c-lbp", "Low back pain", [(SCT, "279039007", "Low back pain")], onset="2025-08-20")
def crit(ces="not-met", ca="not-met", onc="not-met", lump="not-met"):
    return {"primaryCare": "met", "caudaEquina": ces, "suspectedCancer": ca, "underOncology": onc, "softTissueLump": lump}
def crit_card(o="sr-mri-ls"):
    return card("critical", NWL, o, "redirect", ["urgent-referral"], crit(ces="met"))
def msk_card(o="sr-mri-ls"):
    return card("warning", NWL, o, "redirect", ["community-msk-referral"], crit())
def D(o="sr-mri-ls"):
    return [dec(NWL, o, "redirect")]

def saddle(id="o-saddle", **kw):
    return obs(id, "Saddle anaesthesia", when="2025-09-15T09:30:00Z", **kw)

# 1 valueBoolean false
write("h106-nwl-mri-l-spine-saddle-anaesthesia-observation-valueboolean-false-community-msk",
      "MRI L-spine from a GP; Observation 'Saddle anaesthesia' valueBoolean false (the EHR's yes/no red-flag field answered No) and active low back pain. A finding recorded as absent is negated, not evidence. " + SEED_CES + " caudaEquina not met -> " + SEED_MSK,
      [mri_ls()], [msk_card()], D(), conditions=[lbp()], observations=[saddle(valueBoolean=False)])
# 2 valueBoolean true
write("h106-nwl-mri-l-spine-saddle-anaesthesia-observation-valueboolean-true-critical",
      "MRI L-spine from a GP; Observation 'Saddle anaesthesia' valueBoolean true with active low back pain: the GIRFT red-flag cluster is recorded. " + SEED_CES + " caudaEquina met -> critical, urgent referral.",
      [mri_ls()], [crit_card()], D(), conditions=[lbp()], observations=[saddle(valueBoolean=True)])
# 3 valueCodeableConcept Absent for bladder dysfunction
write("h106-nwl-mri-l-spine-bladder-dysfunction-observation-value-absent-community-msk",
      "MRI L-spine from a GP; Observation 'New bladder dysfunction' with valueCodeableConcept text 'Absent' (structured red-flag template). Recorded absent = negated. " + SEED_CES + " caudaEquina not met -> community MSK warning.",
      [mri_ls()], [msk_card()], D(), conditions=[lbp()],
      observations=[obs("o-bladder", "New bladder dysfunction", when="2025-09-15T09:30:00Z", valueCodeableConcept={"text": "Absent"})])
# 4 interpretation NEG, no value
write("h106-nwl-mri-l-spine-saddle-anaesthesia-observation-interpretation-neg-community-msk",
      "MRI L-spine from a GP; Observation 'Saddle anaesthesia' with no value and interpretation NEG (Negative). " + SEED_CES + " A negative finding is not evidence: caudaEquina not met -> community MSK warning.",
      [mri_ls()], [msk_card()], D(), conditions=[lbp()],
      observations=[saddle(interpretation=[{"coding": [{"system": INTERP, "code": "NEG", "display": "Negative"}]}])])
# 5 dataAbsentReason not-asked
write("h106-nwl-mri-l-spine-saddle-anaesthesia-observation-data-absent-not-asked-community-msk",
      "MRI L-spine from a GP; template Observation 'Saddle anaesthesia' with no value, dataAbsentReason not-asked: the question was not asked, nothing is recorded. " + SEED_CES + " caudaEquina not met (no evidence) -> community MSK warning.",
      [mri_ls()], [msk_card()], D(), conditions=[lbp()],
      observations=[saddle(dataAbsentReason={"coding": [{"system": DAR, "code": "not-asked"}]})])
# 6 valueString 'present' amended
write("h106-nwl-mri-l-spine-saddle-numbness-observation-amended-valuestring-present-critical",
      "MRI L-spine from a GP; Observation 'Saddle numbness' status amended, valueString 'Present - reduced sensation to light touch perianal'. Amended is a final result. " + SEED_CES + " caudaEquina met -> critical.",
      [mri_ls()], [crit_card()], D(), conditions=[lbp()],
      observations=[obs("o-saddle", "Saddle numbness", status="amended", when="2025-09-15T09:30:00Z", valueString="Present - reduced sensation to light touch perianal")])
# 7 CES Condition clinicalStatus recurrence
write("h106-nwl-mri-l-spine-ces-condition-clinicalstatus-recurrence-critical",
      "MRI L-spine from a GP; Condition 'Cauda equina syndrome' clinicalStatus recurrence (symptoms back after 2022 decompression). Recurrence is an active status. " + SEED_CES + " caudaEquina met -> critical.",
      [mri_ls()], [crit_card()], D(),
      conditions=[lbp(), cond("c-ces", "Cauda equina syndrome", clinical="recurrence", onset="2025-09-14")])
# 8 CES differential encounter-diagnosis
write("h106-nwl-mri-l-spine-ces-encounter-diagnosis-verification-differential-critical",
      "MRI L-spine from a GP; Condition 'Cauda equina syndrome' category encounter-diagnosis, active, verificationStatus differential (today's working differential). " + SEED_CES + " Any verification status counts: caudaEquina met -> critical.",
      [mri_ls()], [crit_card()], D(),
      conditions=[lbp(), cond("c-ces", "Cauda equina syndrome", ver="differential", category="encounter-diagnosis", onset="2025-09-15")])
# 9 CES inactive with abatementString
write("h106-nwl-mri-l-spine-ces-inactive-abatementstring-decompressed-2019-community-msk",
      "MRI L-spine from a GP for new mechanical back pain; Condition 'Cauda equina syndrome' clinicalStatus inactive, abatementString 'Decompressed 2019, full recovery'. Not active. " + SEED_CES + " caudaEquina not met -> community MSK warning.",
      [mri_ls()], [msk_card()], D(),
      conditions=[lbp(), cond("c-ces", "Cauda equina syndrome", clinical="inactive", onset="2019-03-02", abatementString="Decompressed 2019, full recovery")])
# 10 CES duplicated: later version entered-in-error
c1 = cond("c-ces", "Cauda equina syndrome", onset="2025-09-10", meta={"versionId": "1", "lastUpdated": "2025-09-10T10:00:00Z"})
c2 = cond("c-ces", "Cauda equina syndrome", ver="entered-in-error", onset="2025-09-10", meta={"versionId": "2", "lastUpdated": "2025-09-10T10:20:00Z"})
write("h106-nwl-mri-l-spine-ces-two-versions-latest-entered-in-error-community-msk",
      "MRI L-spine from a GP; Condition/c-ces sent twice: versionId 1 active, versionId 2 (20 minutes later) verificationStatus entered-in-error (wrong patient). The latest version of a resource is the record; an entered-in-error Condition is no evidence. " + SEED_CES + " caudaEquina not met -> community MSK warning.",
      [mri_ls()], [msk_card()], D(), conditions=bundle([lbp(), c1, c2]))
# 11 CES via supportingInfo contained Observation
o = mri_ls(); o["contained"] = [dict(saddle("sx", valueBoolean=True))]
o["supportingInfo"] = [{"reference": "#sx"}]
write("h106-nwl-mri-l-spine-contained-saddle-anaesthesia-observation-supportinginfo-critical",
      "MRI L-spine from a GP for low back pain with sciatica; the order carries a contained Observation 'Saddle anaesthesia' valueBoolean true referenced from supportingInfo '#sx'; observations prefetch empty. The red-flag cluster is recorded on the order. " + SEED_CES + " caudaEquina met -> critical.",
      [o], [crit_card()], D(), conditions=[lbp()], observations=[])
# 12 suspected cancer differential
write("h106-nwl-mri-t-spine-metastatic-disease-verification-differential-cancer-pathway",
      "MRI thoracic spine from a GP; Condition 'Secondary malignant neoplasm of bone' active, verificationStatus differential (night pain, weight loss, past breast ca). " + SEED_CA + " suspectedCancer met -> warning, cancer pathway.",
      [sr("sr-mri-ts", "MRI thoracic spine", reason="Thoracic back pain, night pain")],
      [card("warning", NWL, "sr-mri-ts", "redirect", ["cancer-pathway"], crit(ca="met"))], D("sr-mri-ts"),
      conditions=[cond("c-mets", "Secondary malignant neoplasm of bone", ver="differential", category="encounter-diagnosis", onset="2025-09-01")])
# 13 cancer refuted
write("h106-nwl-mri-t-spine-myeloma-refuted-normal-flc-community-msk",
      "MRI thoracic spine from a GP; Condition 'Multiple myeloma' verificationStatus refuted (free light chains normal), clinicalStatus inactive. A refuted diagnosis is no evidence. " + SEED_CA + " suspectedCancer not met -> " + SEED_MSK,
      [sr("sr-mri-ts", "MRI thoracic spine", reason="Thoracic back pain")],
      [card("warning", NWL, "sr-mri-ts", "redirect", ["community-msk-referral"], crit())], D("sr-mri-ts"),
      conditions=[cond("c-mm", "Multiple myeloma", clinical="inactive", ver="refuted", onset="2025-07-01")])
# 14 active cancer, letrozole only as intent plan draft -> oncology unknown
ca = cond("c-ca", "Carcinoma of left breast", onset="2025-06-01")
let = medreq("m-let", "Letrozole 2.5mg tablets", status="draft", intent="plan", authored="2025-09-10")
write("h106-nwl-us-r-shoulder-breast-ca-letrozole-draft-plan-only-oncology-unknown-info",
      "US right shoulder from a GP; active 'Carcinoma of left breast' (June 2025); the only treatment record is a draft MedicationRequest letrozole with intent plan (not yet started). policies.md underOncology: met with 'active anticancer treatment'; 'unknown' for 'an active cancer without anything about who cares for it'. A draft plan is not active treatment -> underOncology unknown -> info card (oncology team, community MSK, document criteria).",
      [sr("sr-us-rs", "Ultrasound of shoulder region", [(SCT, "303922008", "Ultrasound of shoulder region")], reason="R shoulder pain")],
      [card("info", NWL, "sr-us-rs", "criteria-unknown", ["oncology-team", "community-msk-referral", "document-criteria"], crit(onc="unknown"))],
      [dec(NWL, "sr-us-rs", "criteria-unknown")], conditions=[ca], medications=[let])
# 15 active cancer, letrozole active
let = medreq("m-let", "Letrozole 2.5mg tablets", status="active", intent="order", authored="2025-07-01")
write("h106-nwl-us-r-shoulder-breast-ca-letrozole-active-order-oncology-team",
      "US right shoulder from a GP; active 'Carcinoma of left breast' and an active MedicationRequest letrozole 2.5mg (endocrine therapy). policies.md underOncology: 'an active cancer and ... active anticancer treatment, endocrine therapy included' -> warning, refer back to the oncology team.",
      [sr("sr-us-rs", "Ultrasound of shoulder region", [(SCT, "303922008", "Ultrasound of shoulder region")], reason="R shoulder pain")],
      [card("warning", NWL, "sr-us-rs", "redirect", ["oncology-team"], crit(onc="met"))],
      [dec(NWL, "sr-us-rs", "redirect")], conditions=[ca], medications=[let])
# 16 active cancer, letrozole doNotPerform
let = medreq("m-let", "Letrozole 2.5mg tablets", status="active", intent="order", authored="2025-07-01", doNotPerform=True,
             reasonCode=[{"text": "Do not give aromatase inhibitor - premenopausal"}])
write("h106-nwl-us-r-shoulder-breast-ca-letrozole-donotperform-oncology-unknown-info",
      "US right shoulder from a GP; active 'Carcinoma of left breast'; MedicationRequest letrozole doNotPerform true ('Do not give aromatase inhibitor - premenopausal'). A prohibition is not treatment, nothing else says who cares for the cancer -> underOncology unknown -> info card.",
      [sr("sr-us-rs", "Ultrasound of shoulder region", [(SCT, "303922008", "Ultrasound of shoulder region")], reason="R shoulder pain")],
      [card("info", NWL, "sr-us-rs", "criteria-unknown", ["oncology-team", "community-msk-referral", "document-criteria"], crit(onc="unknown"))],
      [dec(NWL, "sr-us-rs", "criteria-unknown")], conditions=[ca], medications=[let])
# 17 order-sign: two orders, MRI doNotPerform + US knee normal -> one card one action
dnp = sr("sr-mri-rk", "MRI knee", [(SCT, "241641004", "Magnetic resonance imaging of knee")], reason="R knee pain", doNotPerform=True)
usk = sr("sr-us-rk", "Ultrasonography of knee", [(SCT, "241504009", "Ultrasonography of knee")], reason="R knee pain, ?patellar tendinopathy")
write("h106-nwl-order-sign-mri-knee-donotperform-and-us-knee-one-card-one-action",
      "order-sign with two imaging orders: 'MRI knee' with doNotPerform true (not to be done) and 'Ultrasonography of knee' from a GP. Only the US knee is an order. " + SEED_MSK + " One community MSK warning, one decision, one system action.",
      [dnp, usk], [card("warning", NWL, "sr-us-rk", "redirect", ["community-msk-referral"], crit())], [dec(NWL, "sr-us-rk", "redirect")],
      conditions=[cond("c-kp", "Right knee pain", onset="2025-05-01")])
# 18 CES in Condition.note only, code generic low back pain, evidence.detail
c = cond("c-lbp2", "Low back pain", [(SCT, "279039007", "Low back pain")], onset="2025-09-12",
         note=[{"text": "?CES - new urinary retention since yesterday. Discussed with on-call ortho."}])
write("h106-nwl-mri-l-spine-lbp-condition-note-query-ces-urinary-retention-critical",
      "MRI L-spine from a GP; active Condition 'Low back pain' whose note says '?CES - new urinary retention since yesterday'. Uncertain = suspected; new bladder dysfunction with back pain is the red-flag cluster. " + SEED_CES + " caudaEquina met -> critical.",
      [mri_ls()], [crit_card()], D(), conditions=[c])
# 19 Condition.evidence.detail references a negative observation; condition text 'Sciatica' only
sci = cond("c-sci", "Sciatica", [(SCT, "23056005", "Sciatica")], onset="2025-08-01", bodySite=[{"text": "Left leg"}],
           evidence=[{"detail": [{"reference": "Observation/o-saddle"}]}])
write("h106-nwl-mri-l-spine-left-sciatica-evidence-saddle-observation-false-community-msk",
      "MRI L-spine from a GP; active 'Sciatica' (left leg) whose Condition.evidence.detail points to Observation 'Saddle anaesthesia' valueBoolean false. Unilateral sciatica, red flag recorded absent. " + SEED_CES + " caudaEquina not met -> community MSK warning.",
      [mri_ls()], [msk_card()], D(), conditions=[sci], observations=[saddle(valueBoolean=False)])
