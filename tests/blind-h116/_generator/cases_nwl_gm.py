from lib import *
from cases_hny import HNY, M, N, U, inj, oa_knee, usgi_knee

NWL = "nwl-msk-imaging"
GM = "gm070-facet-joint-injections"


def nwl(pc=M, ces=N, ca=N, onc=N, lump=N):
    return {"primaryCare": pc, "caudaEquina": ces, "suspectedCancer": ca, "underOncology": onc, "softTissueLump": lump}


def msk_card(order, crit):
    return card(NWL, order, "warning", "redirect", ["community-msk-referral"], crit, 1)


def mri_lumbar(note=None, reasons=None):
    return sr("sr-mri", "MRI lumbar spine", coding=(SCT, "241645008", "Magnetic resonance imaging of spine"),
              reasonRefs=["lbp"], note=note, reasons=reasons)


def lbp(onset="2026-01-15"):
    return cond("lbp", "Low back pain", [(SCT, "279039007", "Low back pain"), (ICD, "M54.5", "Low back pain")],
                onset={"onsetDateTime": onset})


def facet(fr=N, reg=M, inf=N, ac=N, unw=N):
    return {"excluded": fr, "region": reg, "infection": inf, "anticoagulation": ac, "unwilling": unw}


def si(fr=N, cf=M, pr=N, sa=N):
    return {"excluded": fr, "conservativeFailed": cf, "provocationPositive": pr, "sacroiliitis": sa}


def lumbar_order(note=None):
    return sr("sr-fji", "Lumbar facet joint injection L4/5 bilateral", reasonRefs=["lbp"], note=note)


def lumbar_nc(crit):
    return card(GM, "sr-fji", "warning", "not-commissioned", ["medial-branch-block", "ifr"], crit, 2)


SHAPE = (" Card shape corrected after the first run (my guess, not the seed): a contraindicated card also lists the"
         " level's other recommendations and carries that level's one suggestion (policies.md: the card 'lists every"
         " recommendation that applies').")


def contra(order, crit, lumbar=True):
    recs = ["do-not-request", "medial-branch-block", "ifr"] if lumbar else ["do-not-request", "ifr"]
    return card(GM, order, "warning", "contraindicated", recs, crit, 1)


def build(base):
    E = bundle([])

    # ---- cross-policy: attachment to the right order ----
    mri_knee = sr("sr-mri-knee", "MRI R knee", coding=(SCT, "241641004", "Magnetic resonance imaging of knee"), reasonRefs=["oa-knee"])
    req = request([usgi_knee(), mri_knee], selections=["ServiceRequest/sr-mri-knee"],
                  conditions=bundle([oa_knee()]), procedures=E, observations=E, medications=E)
    write(base, "cross-order-select-only-selected-mri-assessed", req,
          "CDS Hooks order-select (policies.md How a policy is evaluated 1): only the orders in context.selections are assessed. The MRI knee is selected; the US-guided knee injection is a draft for context only, so no HNY 142 card or decision. NWL seed 003: MSK MRI from primary care (demo deployment: primary care) with no red flags -> refer to community MSK service, card on ServiceRequest/sr-mri-knee.",
          cards=[msk_card("sr-mri-knee", nwl())])

    shoulder = cond("oa-gh", "Osteoarthritis of left glenohumeral joint", [(SCT, "373623009", "Osteoarthritis of glenohumeral joint")],
                    onset={"onsetDateTime": "2024-01-08"}, bodySite="Left shoulder")
    orders = [sr("sr-a", "US guided injection left shoulder joint", reasonRefs=["oa-gh"]),
              mri_lumbar(),
              lumbar_order(),
              sr("sr-physio", "Referral to MSK physiotherapy", reasonRefs=["lbp"])]
    req = request(orders, hook="order-sign", conditions=bundle([shoulder, lbp()]), procedures=E, observations=E, medications=E)
    write(base, "cross-order-sign-four-drafts-cards-on-own-orders", req,
          "order-sign assesses every draft order and each card names its own order. sr-a: HNY 142 USGI L shoulder, no A-D recorded (E unknown: OA since 2024, no treatment) -> not commissioned. sr-mri: NWL MRI lumbar spine from primary care, no red flags -> community MSK. sr-fji: GM070 lumbar facet 'no longer commissioned' -> medial branch block, IFR. sr-physio triggers nothing. One update system action per assessed order (3).",
          cards=[card(HNY, "sr-a", "warning", "not-commissioned", ["landmark-guided-injection"], inj(N, N, N, N, U), 1),
                 msk_card("sr-mri", nwl()),
                 lumbar_nc(facet())],
          systemActions=3)

    # ---- NWL ----
    ces_ref = cond("ces", "Cauda equina syndrome", clinical="active", verification="refuted", onset={"onsetDateTime": "2026-02-27"},
                   note="Seen in ED 27/02: MRI whole spine no compression. CES ruled out.")
    req = request([mri_lumbar()], conditions=bundle([lbp(), ces_ref]), procedures=E, observations=E, medications=E)
    write(base, "nwl-ces-refuted-not-critical", req,
          "NWL seed 003 'For suspected cauda equina syndrome ... urgently/acutely referred onwards': the CES Condition is verificationStatus refuted (ED MRI no compression), which is not a suspicion. No red flags recorded -> not critical; primary-care MSK MRI -> community MSK referral (warning).",
          cards=[msk_card("sr-mri", nwl())])

    ces_prov = cond("ces", None, [(LOCAL_CLIN, "X00SL", "Cauda equina syndrome")], verification="provisional",
                    onset={"onsetDateTime": "2026-03-09"})
    req = request([mri_lumbar()], conditions=bundle([lbp(), ces_prov]), procedures=E, observations=E, medications=E)
    write(base, "nwl-ces-provisional-coded-only-critical", req,
          "NWL seed 003 suspected cauda equina syndrome: an active Condition coded only by a local code (display 'Cauda equina syndrome', no code.text), verificationStatus provisional (policies.md: any verification status). Critical: urgent onward referral.",
          cards=[card(NWL, "sr-mri", "critical", "redirect", ["urgent-referral"], nwl(ces=M), 0)])

    ces_old = cond("ces", "Cauda equina syndrome", clinical="resolved", onset={"onsetDateTime": "2017-04-02"},
                   abatement={"abatementDateTime": "2017-05-20"}, note="L5/S1 decompression 2017, full recovery")
    req = request([mri_lumbar()], conditions=bundle([lbp(), ces_old]), procedures=E, observations=E, medications=E)
    write(base, "nwl-ces-resolved-2017-not-current", req,
          "NWL seed 003 suspected CES: policies.md reads an *active* Condition; this CES is clinicalStatus resolved with abatementDateTime 2017 (decompressed, full recovery) and nothing current (no saddle/bladder/bowel symptoms recorded). Not critical -> community MSK referral.",
          cards=[msk_card("sr-mri", nwl())])

    saddle = obs("obs-saddle", "Saddle anaesthesia", [(LOCAL_CLIN, "SADDLE", "Saddle anaesthesia")], value=vcc("Present", "PRES"))
    req = request([mri_lumbar()], conditions=bundle([lbp("2026-02-25")]), procedures=E, observations=bundle([saddle]), medications=E)
    write(base, "nwl-saddle-anaesthesia-present-valueCodeableConcept-critical", req,
          "NWL seed 003 suspected CES; policies.md red-flag cluster (GIRFT 2023): back pain with saddle sensory loss. Low back pain Condition plus an Observation 'Saddle anaesthesia' with valueCodeableConcept 'Present'. Critical: urgent referral.",
          cards=[card(NWL, "sr-mri", "critical", "redirect", ["urgent-referral"], nwl(ces=M), 0)])

    flags = [obs("obs-saddle", "Saddle anaesthesia", [(LOCAL_CLIN, "SADDLE", "Saddle anaesthesia")], value=vcc("Absent", "ABS")),
             obs("obs-bladder", "Bladder dysfunction", [(LOCAL_CLIN, "BLADDYS", "Bladder dysfunction")], value=vcc("Absent", "ABS")),
             obs("obs-bowel", "Bowel dysfunction", [(LOCAL_CLIN, "BOWDYS", "Bowel dysfunction")], value=vcc("Not present", "NP"))]
    req = request([mri_lumbar()], conditions=bundle([lbp("2026-02-25")]), procedures=E, observations=bundle(flags), medications=E)
    write(base, "nwl-red-flag-template-absent-not-critical", req,
          "NWL seed 003 suspected CES: the GP red-flag template records saddle anaesthesia, bladder and bowel dysfunction each with valueCodeableConcept Absent / Not present: no red flag. Not critical -> community MSK referral.",
          cards=[msk_card("sr-mri", nwl())])

    mal = cond("mal", None, [(LOCAL_CLIN, "B31..", "Malignant neoplasm of right humerus")], verification="differential",
               onset={"onsetDateTime": "2026-03-01"})
    usr = sr("sr-us-sh", "US right shoulder", coding=(SCT, "303922008", "Ultrasound of shoulder region"), reasonRefs=["mal"])
    req = request([usr], conditions=bundle([mal]), procedures=E, observations=E, medications=E)
    write(base, "nwl-malignancy-differential-coded-only-cancer-pathway", req,
          "NWL seed 003 'For suspected cancer, please use local cancer referral pathways': a coded-only Condition (local code, display 'Malignant neoplasm of right humerus', no text) with verificationStatus differential is a suspected cancer (policies.md). Not an established active cancer, so not under oncology. Warning: cancer pathway.",
          cards=[card(NWL, "sr-us-sh", "warning", "redirect", ["cancer-pathway"], nwl(ca=M), 0)])

    mets = cond("mets", "Suspected bone metastasis lumbar spine", clinical="inactive", verification="refuted",
                onset={"onsetDateTime": "2025-11-01"}, note="Bone scan Dec 2025 normal")
    req = request([mri_lumbar()], conditions=bundle([lbp(), mets]), procedures=E, observations=E, medications=E)
    write(base, "nwl-suspected-mets-refuted-not-cancer", req,
          "NWL seed 003 suspected cancer: the only malignancy Condition, 'Suspected bone metastasis lumbar spine', is verificationStatus refuted (bone scan normal): no longer a suspicion. -> community MSK referral (warning), not the cancer pathway.",
          cards=[msk_card("sr-mri", nwl())])

    bca = cond("bca", None, [(LOCAL_CLIN, "B34..", "Malignant neoplasm of left breast")], onset={"onsetDateTime": "2023-06-01"})
    letro = medstmt("letrozole", "Letrozole 2.5mg tablets", period={"start": "2023-09-01"}, dosage="One daily", reason="bca")
    req = request([mri_lumbar()], conditions=bundle([lbp(), bca]), procedures=E, observations=E, medications=bundle([letro]))
    write(base, "nwl-breast-cancer-on-letrozole-oncology-team", req,
          "NWL seed 003 'If a patient under the care of oncology presents to primary care with suspicious musculoskeletal pain, prefer refer the patient back to their oncology team': active confirmed breast cancer (coded only) and an active MedicationStatement for letrozole (endocrine therapy, policies.md) -> under oncology. Not a suspected cancer. Warning: oncology team.",
          cards=[card(NWL, "sr-mri", "warning", "redirect", ["oncology-team"], nwl(onc=M), 0)])

    bca_old = cond("bca", "Carcinoma of breast", clinical="resolved", onset={"onsetDateTime": "2014-02-01"},
                   abatement={"abatementDateTime": "2019-06-30"})
    tam = medstmt("tamoxifen", "Tamoxifen 20mg tablets", status="completed", period={"start": "2014-06-01", "end": "2019-06-30"},
                  reason="bca")
    shp = cond("shp", "Shoulder pain", onset={"onsetDateTime": "2026-01-20"}, bodySite="Left shoulder")
    usl = sr("sr-us-l", "Ultrasound scan left shoulder", coding=(SCT, "303922008", "Ultrasound of shoulder region"), reasonRefs=["shp"])
    req = request([usl], conditions=bundle([shp, bca_old]), procedures=E, observations=E, medications=bundle([tam]))
    write(base, "nwl-breast-cancer-resolved-tamoxifen-completed", req,
          "NWL seed 003 under oncology needs an active cancer (policies.md): breast cancer resolved 2019, tamoxifen completed 2019. Not under oncology, nothing suspected -> community MSK referral (warning).",
          cards=[msk_card("sr-us-l", nwl())])

    bisc = cond("bisc", None, [(LOCAL_CLIN, "N143.", "Bilateral sciatica")], onset={"onsetDateTime": "2026-03-05"})
    req = request([mri_lumbar()], conditions=bundle([lbp("2026-02-20"), bisc]), procedures=E, observations=E, medications=E)
    write(base, "nwl-bilateral-sciatica-coded-only-critical", req,
          "NWL seed 003 suspected CES; policies.md red-flag cluster (GIRFT 2023) includes bilateral sciatica. New coded-only Condition 'Bilateral sciatica' (local code, no text) with low back pain. Critical: urgent referral.",
          cards=[card(NWL, "sr-mri", "critical", "redirect", ["urgent-referral"], nwl(ces=M), 0)])

    # ---- GM070 ----
    lb = lbp("2024-05-01")
    war = medstmt("ms-war", status="active", period={"start": "2024-01-15"}, ref="med-war", dosage="As directed per INR (target 2.5)")
    mb = bundle([war], include=[medication("med-war", "Warfarin 1mg tablets")],
                outcomes=[outcome("Medication list may be incomplete: repeat templates not returned")])
    req = request([lumbar_order()], conditions=bundle([lb]), procedures=E, observations=E, medications=mb)
    write(base, "gm070-warfarin-via-medicationReference-include", req,
          "GM070 NOTE 'should not be requested if ... the patient is receiving substantial therapeutic or constitutional anticoagulation': an active GP Connect MedicationStatement whose medicationReference points to an included (search.mode include) Medication 'Warfarin 1mg tablets'. Contraindicated: do not request." + SHAPE,
          cards=[contra("sr-fji", facet(ac=M))])

    war_s = medstmt("ms-war", "Warfarin 3mg tablets", status="stopped", period={"start": "2021-03-01", "end": "2024-11-30"},
                    note="Stopped - AF ablation, anticoagulation no longer indicated")
    req = request([lumbar_order()], conditions=bundle([lb]), procedures=E, observations=E, medications=bundle([war_s]))
    write(base, "gm070-warfarin-stopped-2024-not-anticoagulated", req,
          "GM070 anticoagulation contraindication needs current ('is receiving') anticoagulation: warfarin MedicationStatement status stopped (ended Nov 2024). Not met. Lumbar facet joint injections 'no longer commissioned - medial branch block is the diagnostic tool of choice'; IFR possible.",
          cards=[lumbar_nc(facet())])

    apix = medreq("apixaban", "Apixaban 5mg tablets", status="on-hold", authored="2025-10-01", dosage="One tablet twice daily",
                  note="Withhold 48h pre-procedure as per haematology")
    req = request([lumbar_order()], conditions=bundle([lb]), procedures=E, observations=E, medications=bundle([apix]))
    write(base, "gm070-apixaban-on-hold-still-anticoagulated", req,
          "GM070 anticoagulation contraindication (policies.md: a DOAC, active or intended): apixaban 5mg bd MedicationRequest status on-hold (withheld around a procedure, to be restarted) is still intended therapeutic anticoagulation. Contraindicated." + SHAPE,
          cards=[contra("sr-fji", facet(ac=M))])

    enox = medreq("enox", "Enoxaparin sodium injection", authored="2026-02-10")
    req = request([lumbar_order()], conditions=bundle([lb]), procedures=E, observations=E, medications=bundle([enox]))
    write(base, "gm070-enoxaparin-dose-not-recorded-unknown", req,
          "GM070 anticoagulation: policies.md 'unknown when a heparin whose dose cannot be read'. Active enoxaparin MedicationRequest without dosage. anticoagulation unknown, so not contraindicated; lumbar facet -> not commissioned (medial branch block, IFR).",
          cards=[lumbar_nc(facet(ac=U))])

    neck = cond("neck", "Neck pain", [(SCT, "81680005", "Neck pain"), (ICD, "M54.2", "Cervicalgia")], onset={"onsetDateTime": "2024-09-01"})
    disc = cond("disc", "Discitis C5/6", clinical="resolved", onset={"onsetDateTime": "2022-11-01"},
                abatement={"abatementDateTime": "2023-04-15"})
    req = request([sr("sr-cfji", "Cervical facet joint injection C5/6", reasonRefs=["neck"])],
                  conditions=bundle([neck, disc]), procedures=E, observations=E, medications=E)
    write(base, "gm070-cervical-discitis-resolved-not-infection", req,
          "GM070 infection contraindication needs current evidence of infection (policies.md: active): discitis resolved April 2023. Not met. Cervical: 'Facet joint injections for neck pain are no longer commissioned'; IFR.",
          cards=[card(GM, "sr-cfji", "warning", "not-commissioned", ["ifr"], facet(), 1)])

    osteo = cond("osteo", None, [(LOCAL_CLIN, "N0415", "Osteomyelitis of thoracic vertebra")], onset={"onsetDateTime": "2026-02-12"})
    tb = cond("tbp", "Thoracic back pain", onset={"onsetDateTime": "2025-10-01"})
    req = request([sr("sr-tfji", "Thoracic facet joint injection T7/8", reasonRefs=["tbp"])],
                  conditions=bundle([tb, osteo]), procedures=E, observations=E, medications=E)
    write(base, "gm070-thoracic-osteomyelitis-coded-only-contraindicated", req,
          "GM070 NOTE 'evidence of a local or systemic infection': an active coded-only Condition (local code, display 'Osteomyelitis of thoracic vertebra', no text). Contraindicated." + SHAPE,
          cards=[contra("sr-tfji", facet(inf=M), lumbar=False)])

    cel = cond("cel", "Cellulitis of lower back", clinical=None, verification="entered-in-error", onset={"onsetDateTime": "2026-03-01"})
    sep = cond("sep", "Septic arthritis of knee", [(SCT, "239777004", "Knee pyogenic arthritis")], clinical="active",
               verification="refuted", onset={"onsetDateTime": "2026-02-01"}, note="Aspirate culture negative - gout")
    req = request([lumbar_order()], conditions=bundle([lb, cel, sep]), procedures=E, observations=E, medications=E)
    write(base, "gm070-infection-entered-in-error-and-refuted", req,
          "GM070 infection contraindication: the cellulitis is entered-in-error and the septic arthritis is refuted (culture negative), so neither is evidence of infection. Lumbar facet -> not commissioned (medial branch block, IFR).",
          cards=[lumbar_nc(facet())])

    sij = cond("sijp", "Sacroiliac joint pain", [(SCT, "202487003", "Sacroiliac joint pain")], onset={"onsetDateTime": "2024-11-01"},
               bodySite="Right sacroiliac joint")
    physio_sij = proc("physio-sij", "Physiotherapy for sacroiliac joint pain", performed={"performedPeriod": {"start": "2025-06-02", "end": "2025-09-01"}},
                      bodySite="Right sacroiliac joint", reason="sijp", note="Completed. No improvement.")
    sio = sr("sr-sij", "Image guided sacroiliac joint injection - right", reasonRefs=["sijp"])
    sacro = cond("sacroil", None, [(SCT, "55146009", "Inflammation of sacroiliac joint")], onset={"onsetDateTime": "2025-02-01"})
    req = request([sio], conditions=bundle([sij, sacro]), procedures=bundle([physio_sij]), observations=E, medications=E)
    write(base, "gm070-si-sacroiliitis-coded-only-prior-approval", req,
          "GM070 Sacroiliac: 'If conservative management has failed ... consider image guided sacroiliac joint injection'; 'evidence of the result of the provocation test OR evidence of degenerative sacroiliitis'. Physiotherapy Jun-Sep 2025 without improvement (conservative failed); coded-only active SNOMED 55146009 Inflammation of sacroiliac joint (sacroiliitis met); no provocation test in the (empty) Observations. Prior approval required (info).",
          cards=[card(GM, "sr-sij", "info", "prior-approval-required", ["prior-approval"], si(sa=M), 1)])

    sacro_old = cond("sacroil", "Sacroiliitis", clinical="resolved", onset={"onsetDateTime": "2020-01-01"},
                     abatement={"abatementDateTime": "2022-03-01"})
    faber = obs("obs-faber", "FABER test right", value=vcc("Negative", "NEG"))
    req = request([sio], conditions=bundle([sij, sacro_old]), procedures=bundle([physio_sij]), observations=bundle([faber]),
                  medications=E)
    write(base, "gm070-si-sacroiliitis-resolved-faber-negative", req,
          "GM070 Sacroiliac criteria: sacroiliitis resolved in 2022 (policies.md: an active Condition) -> not met; the only provocation test, FABER, valueCodeableConcept Negative -> not met; conservative management failed. Criteria not met -> not commissioned, IFR (warning).",
          cards=[card(GM, "sr-sij", "warning", "not-commissioned", ["ifr"], si(), 1)])

    nap = medreq("naproxen", "Naproxen 500mg tablets", status="stopped", authored="2025-05-01", dosage="500mg twice daily",
                 reason="sijp", note="Stopped Oct 2025 - ineffective")
    tests = [obs("o1", "Distraction test", value=vcc("Positive", "POS")),
             obs("o2", "Thigh thrust test", value=vcc("Positive", "POS")),
             obs("o3", "Sacral thrust test", value=vcc("Positive", "POS")),
             obs("o4", "FABER test", value=vcc("Negative", "NEG")),
             obs("o5", "Gaenslen's test", value=vcc("Negative", "NEG"))]
    req = request([sio], conditions=bundle([sij]), procedures=E, observations=bundle(tests), medications=bundle([nap]))
    write(base, "gm070-si-laslett-cluster-3-of-5-positive", req,
          "GM070 Sacroiliac 'sacroiliac joint pain is elicited using a provocation test': 3 of 5 Laslett cluster tests positive (distraction, thigh thrust, sacral thrust; FABER and Gaenslen negative, which does not undo it). Conservative failed: naproxen given May-Oct 2025, stopped as ineffective. Prior approval required.",
          cards=[card(GM, "sr-sij", "info", "prior-approval-required", ["prior-approval"], si(pr=M), 1)])

    req = request([sio], conditions=bundle([sij]), procedures=bundle([physio_sij]), medications=E)
    write(base, "gm070-si-observations-not-sent-provocation-unknown", req,
          "GM070 Sacroiliac: the provocation test is read from Observations and the observations prefetch key is absent, so provocationPositive is unknown (data not available), not not met. Conservative failed (physio, no improvement); no sacroiliitis Condition. Cannot tell: what to document.",
          cards=[card(GM, "sr-sij", "info", "criteria-unknown", ["document-criteria"], si(pr=U), 0)])

    eie = [obs("o1", "Thigh thrust test", status="entered-in-error", value=vcc("Positive", "POS")),
           obs("o2", "FABER test", status="cancelled", value=vcc("Positive", "POS"))]
    req = request([sio], conditions=bundle([sij]), procedures=bundle([physio_sij]), observations=bundle(eie), medications=E)
    write(base, "gm070-si-provocation-entered-in-error-cancelled", req,
          "GM070 Sacroiliac provocation test: the two positive results are an entered-in-error and a cancelled Observation, neither a recorded result. Provocation not met, no sacroiliitis, conservative failed -> criteria not met: not commissioned, IFR.",
          cards=[card(GM, "sr-sij", "warning", "not-commissioned", ["ifr"], si(), 1)])

    req = request([lumbar_order(note="Risks discussed, pt keen to proceed. Not on anticoagulants. No signs of infection.")],
                  conditions=bundle([lb]), procedures=E, observations=E, medications=E)
    write(base, "gm070-note-willing-not-anticoagulated-no-infection", req,
          "GM070 NOTE contraindications: the order note negates each ('keen to proceed', 'Not on anticoagulants', 'No signs of infection'): none met. Lumbar facet -> not commissioned, medial branch block and IFR.",
          cards=[lumbar_nc(facet())])

    fh = cond("fh", "Family history of haemophilia", onset={"onsetDateTime": "2010-01-01"}, note="Maternal uncle")
    req = request([lumbar_order()], conditions=bundle([lb, fh]), procedures=E, observations=E, medications=E)
    write(base, "gm070-family-history-haemophilia-not-constitutional", req,
          "GM070 'constitutional anticoagulation' is the patient's own inherited bleeding disorder; 'Family history of haemophilia' (maternal uncle) is about another person. Not met. Lumbar facet -> not commissioned, medial branch block and IFR.",
          cards=[lumbar_nc(facet())])

    vwd = cond("vwd", None, [(LOCAL_CLIN, "D6930", "Von Willebrand's disease")], onset={"onsetDateTime": "1990-01-01"})
    req = request([lumbar_order()], conditions=bundle([lb, vwd]), procedures=E, observations=E, medications=E)
    write(base, "gm070-von-willebrand-coded-only-contraindicated", req,
          "GM070 'substantial ... constitutional anticoagulation' (policies.md: haemophilia, von Willebrand disease): active coded-only Condition 'Von Willebrand's disease' (local code, no text). Contraindicated." + SHAPE,
          cards=[contra("sr-fji", facet(ac=M))])
