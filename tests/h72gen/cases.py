# Each case: expected outcome written from the seed text before the first run (clause named in desc).
KOA = lambda: cond("c-koa", "Osteoarthritis of right knee", "2024-03-01", site="Right knee")
PHYSIO = lambda: proc("p-ph", "Physiotherapy right knee", "2025-01-20", "no improvement after 6 sessions")
A_, B_, C_, D_, E_ = "A", "B", "C", "D", "E"
def cr(**kw):
    base = {"A": "not-met", "B": "not-met", "C": "not-met", "D": "not-met", "E": "met"}
    base.update(kw); return base

# ---- HNY 142, C: two landmark guided injections (no time window in the seed)
case("h72-hny142-r-knee-depo-medrone-2023-and-2025-no-benefit-c-met-commissioned",
     "USGI R knee. Two steroid injections R knee (no guidance named = landmark, as done in GP surgery), 2023 and Apr 2025, each 'no benefit'. Seed sets no window on the two injections -> C met; physio no improvement since Jan -> E met -> commissioned (no card).",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Depo-Medrone 40mg injection right knee", "2023-05-11", "no benefit"),
            proc("p-i2", "Depo-Medrone 40mg injection right knee", "2025-04-02", "no benefit"), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-2nd-steroid-injection-no-better-single-record-c-met-commissioned",
     "USGI R knee. One Procedure '2nd steroid injection right knee' (Jun 2025), note 'no better than the first'. The ordinal says two landmark injections were given, neither helped -> C met; E met by physio -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i2", "2nd steroid injection right knee", "2025-06-02", "no better than the first"), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-two-injections-declined-not-done-c-not-met",
     "NEGATIVE. USGI R knee. Two Procedures 'Steroid injection right knee' status not-done ('patient declined'). No injection was given -> C not met, D not met; E met -> not commissioned (warning, landmark-guided injection).",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Steroid injection right knee", "2025-03-02", "patient declined", status="not-done"),
            proc("p-i2", "Steroid injection right knee", "2025-05-02", "patient declined", status="not-done"), PHYSIO()],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-l-shoulder-two-inj-one-good-relief-6-months-c-not-met",
     "NEGATIVE. USGI L shoulder (subacromial). Two landmark subacromial injections L shoulder: 2024-06 'good relief for 6 months', 2025-03 'no relief'. Symptomatic relief after one of the two -> C not met ('No symptomatic relief after two'). E met (physio). -> not commissioned.",
     "US guided subacromial injection left shoulder", "L subacromial pain",
     conds=[cond("c-sh", "Subacromial pain syndrome left shoulder", "2024-01-10", site="Left shoulder")],
     procs=[proc("p-i1", "Subacromial injection left shoulder", "2024-06-05", "good relief for 6 months"),
            proc("p-i2", "Subacromial injection left shoulder", "2025-03-05", "no relief"),
            proc("p-ph", "Physiotherapy left shoulder", "2025-01-10", "no improvement")],
     expect=hny("not-commissioned", cr()))
# ---- B: landmarks / obesity / body habitus / other disease process
case("h72-hny142-r-knee-attempt-body-habitus-unable-to-locate-joint-line-b-met-commissioned",
     "USGI R knee. Procedure 'Attempted injection right knee' (Jul 2025), note 'Unable to locate joint line due to body habitus, not injected'. Failure to identify landmarks due to obesity (body habitus) -> B met; E met -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-a", "Attempted injection right knee", "2025-07-01", "Unable to locate joint line due to body habitus, not injected", status="not-done"), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-l-wrist-ra-deformity-landmarks-not-identifiable-b-met-commissioned",
     "USGI L wrist. Order reason 'Rheumatoid arthritis L wrist - landmarks not identifiable due to severe deformity'. Failure to identify landmarks due to another disease process -> B met. Condition RA L wrist since 2020, methotrexate + hand therapy splint since 2024 no response -> E met -> commissioned.",
     "US guided injection left wrist", "Rheumatoid arthritis L wrist - landmarks not identifiable due to severe deformity",
     conds=[cond("c-ra", "Rheumatoid arthritis of left wrist", "2020-02-01", site="Left wrist")],
     procs=[proc("p-ht", "Physiotherapy left wrist", "2024-11-01", "no improvement")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-landmarks-identified-despite-bmi-36-one-inj-b-not-met",
     "NEGATIVE. USGI R knee. BMI 36 (Jun 2025). One landmark injection R knee (Apr 2025) note 'landmarks easily identified despite BMI, no relief'. Landmarks were identified, so B (failure to identify landmarks due to obesity) is not met; only one injection -> C not met; E met -> not commissioned (warning).",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Landmark guided steroid injection right knee", "2025-04-02", "landmarks easily identified despite BMI, no relief"), PHYSIO()],
     obss=[obs("o-bmi", "Body mass index", "2025-06-01", 36, "kg/m2", coding=[("60621009", "Body mass index")])],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-l-knee-gp-note-obese-not-attempted-b-unknown",
     "USGI L knee. Order reason 'L knee OA, obese, GP not confident to inject'. Obesity without a failed attempt to identify landmarks: B cannot be decided -> unknown; no injections -> C, D not met; physio L knee failed -> E met -> criteria unknown (info).",
     "USGI left knee", "L knee OA, obese, GP not confident to inject",
     conds=[cond("c-koa", "Osteoarthritis of left knee", "2024-03-01", site="Left knee")],
     procs=[proc("p-ph", "Physiotherapy left knee", "2025-01-20", "no improvement")],
     expect=hny("criteria-unknown", cr(B="unknown")))
# ---- D: adverse effects
case("h72-hny142-r-shoulder-injection-intolerable-pain-would-not-have-again-d-met-commissioned",
     "USGI R shoulder. Landmark glenohumeral injection R shoulder (May 2025), note 'Extremely painful procedure, patient found it intolerable'. Severe procedural pain -> D met; E met (physio) -> commissioned.",
     "USGI right glenohumeral joint", "R frozen shoulder",
     conds=[cond("c-fs", "Adhesive capsulitis of right shoulder", "2024-10-01", site="Right shoulder")],
     procs=[proc("p-i1", "Landmark guided injection right glenohumeral joint", "2025-05-05", "Extremely painful procedure, patient found it intolerable"),
            proc("p-ph", "Physiotherapy right shoulder", "2025-01-10", "no improvement")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-injection-tolerated-well-no-complications-d-not-met",
     "NEGATIVE. USGI R knee. One landmark injection R knee (May 2025), note 'Procedure tolerated well. No complications. No relief at review.' No adverse effect -> D not met; one injection -> C not met; E met -> not commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Landmark guided steroid injection right knee", "2025-05-05", "Procedure tolerated well. No complications. No relief at review."), PHYSIO()],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-r-knee-injection-mild-discomfort-only-d-not-met",
     "NEGATIVE. USGI R knee. One landmark injection R knee, note 'mild discomfort during injection, settled'. Minor discomfort is not a significant adverse effect -> D not met; C not met; E met -> not commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Steroid injection right knee", "2025-05-05", "mild discomfort during injection, settled"), PHYSIO()],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-r-knee-d-adverse-effect-was-left-knee-not-met",
     "NEGATIVE. USGI R knee. Landmark injection LEFT knee (May 2025) 'severe pain during procedure, abandoned'. Other joint -> D not met for the R knee; no R-knee injections -> C not met; E met -> not commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Landmark guided steroid injection left knee", "2025-05-05", "severe pain during procedure, abandoned", status="stopped"), PHYSIO()],
     expect=hny("not-commissioned", cr()))
# ---- A: severe trauma vs minor injury
case("h72-hny142-r-ankle-old-sprain-2019-not-severe-trauma-a-not-met",
     "NEGATIVE. USGI R ankle. Condition 'Sprain of right ankle' 2019 resolved. A sprain is not severe trauma deranging joint architecture -> A not met; B, C, D not met; physio R ankle no improvement -> E met -> not commissioned (warning). Clause A.",
     "USGI right ankle joint", "R ankle OA",
     conds=[cond("c-ank", "Osteoarthritis of right ankle", "2024-02-01", site="Right ankle"),
            cond("c-spr", "Sprain of right ankle", "2019-06-01", status="resolved", site="Right ankle")],
     procs=[proc("p-ph", "Physiotherapy right ankle", "2025-01-20", "no improvement")],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-r-shoulder-fall-xray-no-bony-injury-a-not-met",
     "NEGATIVE. USGI R shoulder. Condition 'Fall onto right shoulder - X-ray no bony injury' (2024). No fracture/dislocation -> A not met; C, D not met; E met (physio) -> not commissioned.",
     "USGI right shoulder", "R shoulder pain",
     conds=[cond("c-sh", "Right shoulder pain", "2024-05-01", site="Right shoulder"),
            cond("c-fall", "Fall onto right shoulder - X-ray no bony injury", "2024-04-20", status="resolved")],
     procs=[proc("p-ph", "Physiotherapy right shoulder", "2025-01-20", "no improvement")],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-l-shoulder-coded-anterior-dislocation-a-met-commissioned",
     "USGI L shoulder. Condition coded SNOMED only (no text) 'Anterior dislocation of shoulder joint' with bodySite Left shoulder, 2022 resolved; physio L shoulder failed -> A met, E met -> commissioned. Coded vs text-only.",
     "USGI left shoulder", "L shoulder pain",
     conds=[cond("c-sh", "Left shoulder pain", "2024-05-01", site="Left shoulder"),
            cond("c-dis", None, "2022-03-01", status="resolved", site="Left shoulder", coding=[("15940001", "Anterior dislocation of shoulder joint")])],
     procs=[proc("p-ph", "Physiotherapy left shoulder", "2025-01-20", "no improvement")],
     expect=hny("commissioned", None))
# ---- E: conservative treatment over at least three months
case("h72-hny142-r-knee-escape-pain-class-no-change-two-inj-e-met-commissioned",
     "USGI R knee. ESCAPE-pain class for R knee OA from Feb 2025, 'no change in pain'; two landmark injections no relief -> C met; conservative treatment > 3 months no response -> E met -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-es", "ESCAPE-pain programme right knee", "2025-02-03", "no change in pain"),
            proc("p-i1", "Landmark injection right knee", "2024-11-02", "no relief"),
            proc("p-i2", "Landmark injection right knee", "2025-05-02", "no relief")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-physio-dna-discharged-e-unknown",
     "USGI R knee. Two landmark injections no relief -> C met. Only conservative treatment: Physiotherapy R knee (Feb 2025) 'discharged - did not attend'. Treatment not received, so 'no response to conservative treatment' cannot be read -> E not met or unknown; by the seed E is not shown -> criteria unknown/not-met. Expected: E unknown (info).",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-ph", "Physiotherapy right knee", "2025-02-03", "discharged - did not attend", status="not-done"),
            proc("p-i1", "Landmark injection right knee", "2024-11-02", "no relief"),
            proc("p-i2", "Landmark injection right knee", "2025-05-02", "no relief")],
     expect=hny("criteria-unknown", cr(C="met", E="unknown")))
case("h72-hny142-r-knee-medications-not-prefetched-physio-failed-e-met-commissioned",
     "USGI R knee. medications prefetch absent; physio R knee since Jan no improvement, two landmark injections no relief. E is met by the physiotherapy alone (missing medications cannot undo it) -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()], missing=["medications"],
     procs=[proc("p-i1", "Landmark injection right knee", "2024-11-02", "no relief"),
            proc("p-i2", "Landmark injection right knee", "2025-05-02", "no relief"), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-procedures-absent-conditions-present-c-d-unknown-not-false",
     "USGI R knee. procedures prefetch absent, meds: naproxen since Jan 2025. C and D cannot be read -> unknown (never false); E met by analgesic -> criteria unknown (info).",
     "USGI right knee", "R knee OA", conds=[KOA()], missing=["procedures"],
     meds=[med("m-nap", "Naproxen 500mg tablets twice daily", "2025-01-10")],
     expect=hny("criteria-unknown", cr(C="unknown", D="unknown")))
# ---- aspiration
case("h72-hny142-aspiration-l-knee-only-1ml-blood-stained-effusion-persists-f-met",
     "USGI aspiration L knee. Landmark aspiration L knee (Aug 2025) 'only 1ml blood-stained fluid obtained, effusion persists' -> failure to successfully aspirate -> F met -> commissioned.",
     "Ultrasound guided aspiration left knee", "L knee effusion",
     conds=[cond("c-eff", "Effusion of left knee joint", "2025-07-01", site="Left knee")],
     procs=[proc("p-asp", "Aspiration of left knee joint", "2025-08-05", "only 1ml blood-stained fluid obtained, effusion persists")],
     expect=hny("commissioned", None))

# ---- NWL: red flags with ordinary GP wording, template answers, negation, history
LBP = lambda: cond("c-lbp", "Low back pain", "2025-07-01")
case("h72-nwl-mri-l-spine-template-saddle-anaesthesia-no-urinary-retention-no-community",
     "NEGATIVE. MRI L-spine from GP; reason 'LBP 10/52. Saddle anaesthesia: No. Urinary retention: No. Faecal incontinence: No.' Template answers 'No' are negations -> no CES -> community MSK (warning), not critical.",
     "MRI lumbar spine", "LBP 10/52. Saddle anaesthesia: No. Urinary retention: No. Faecal incontinence: No.", conds=[LBP()],
     expect=nwl("community"))
case("h72-nwl-mri-l-spine-template-saddle-anaesthesia-yes-critical",
     "MRI L-spine from GP; reason 'LBP with L sciatica. Saddle anaesthesia: Yes. Urinary retention: No.' -> suspected CES -> critical (urgent referral).",
     "MRI lumbar spine", "LBP with L sciatica. Saddle anaesthesia: Yes. Urinary retention: No.", conds=[LBP()],
     expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-difficulty-passing-urine-since-yesterday-critical",
     "MRI L-spine; reason 'Low back pain, new difficulty passing urine since yesterday'. New urinary retention symptoms with back pain (GIRFT CES card: 'difficulty passing urine') -> suspected CES -> critical.",
     "MRI lumbar spine", "Low back pain, new difficulty passing urine since yesterday", conds=[LBP()],
     expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-sciatica-now-in-both-legs-worsening-critical",
     "MRI L-spine; reason 'L sciatica 6/52, worsening, now pain going down both legs'. Bilateral sciatica (GIRFT CES red flag) -> critical.",
     "MRI lumbar spine", "L sciatica 6/52, worsening, now pain going down both legs",
     conds=[cond("c-sci", "Sciatica left", "2025-08-01")], expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-numb-bum-tingling-down-below-critical",
     "MRI L-spine; reason 'LBP, c/o numb bum and tingling down below since Monday'. Lay wording for saddle anaesthesia -> critical.",
     "MRI lumbar spine", "LBP, c/o numb bum and tingling down below since Monday", conds=[LBP()],
     expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-r-knee-ces-decompression-2015-resolved-community",
     "NEGATIVE. MRI R knee from GP for knee pain; Condition 'Cauda equina syndrome' resolved 2015 (decompressed). Historical, not suspected now -> community MSK (warning), not critical.",
     "MRI right knee", "R knee pain, ?meniscal tear",
     conds=[cond("c-kp", "Right knee pain", "2025-07-01", site="Right knee"),
            cond("c-ces", "Cauda equina syndrome", "2015-03-01", status="resolved", abatement="2015-06-01")],
     expect=nwl("community"))
case("h72-nwl-mri-l-spine-longstanding-ed-since-2019-on-sildenafil-community",
     "NEGATIVE. MRI L-spine; LBP 8/52 reason 'LBP, no new bladder or bowel symptoms'; Condition 'Erectile dysfunction' active since 2019 (sildenafil). Long-standing, not new -> not a CES red flag -> community.",
     "MRI lumbar spine", "LBP, no new bladder or bowel symptoms",
     conds=[LBP(), cond("c-ed", "Erectile dysfunction", "2019-01-10")],
     meds=[med("m-sil", "Sildenafil 50mg tablets", "2019-02-01")], expect=nwl("community"))
case("h72-nwl-mri-l-spine-husband-reports-she-has-altered-saddle-sensation-critical",
     "MRI L-spine; reason 'LBP; husband reports she has altered sensation in the saddle area'. The experiencer is the patient (husband is the reporter) -> critical.",
     "MRI lumbar spine", "LBP; husband reports she has altered sensation in the saddle area", conds=[LBP()],
     expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-red-flags-none-denies-saddle-numbness-community",
     "NEGATIVE. MRI L-spine; reason 'Mechanical LBP. Red flags: none. Denies saddle numbness or sphincter disturbance.' -> community (warning).",
     "MRI lumbar spine", "Mechanical LBP. Red flags: none. Denies saddle numbness or sphincter disturbance.", conds=[LBP()],
     expect=nwl("community"))
case("h72-nwl-us-r-achilles-tendon-gp-community",
     "US R Achilles tendon from GP for tendinopathy: an MSK region (ankle) outside a specialist setting -> community MSK (warning).",
     "Ultrasound right Achilles tendon", "R Achilles tendinopathy 4 months", expect=nwl("community"))
case("h72-nwl-us-r-groin-query-inguinal-hernia-not-msk-no-card",
     "NEGATIVE. US R groin ?inguinal hernia: not musculoskeletal imaging -> NWL MSK pathway does not apply (no card).",
     "Ultrasound right groin", "?Right inguinal hernia", expect=nwl("none"))
case("h72-nwl-mri-sij-query-sacroiliitis-young-man-community",
     "MRI sacroiliac joints from GP, reason 'Inflammatory back pain ?sacroiliitis, HLA-B27 pending'. The seed has no exception for inflammatory back pain -> community MSK (warning).",
     "MRI sacroiliac joints", "Inflammatory back pain ?sacroiliitis, HLA-B27 pending", expect=nwl("community"))
case("h72-nwl-us-l-shoulder-myeloma-coded-on-lenalidomide-oncology-team",
     "US L shoulder; Condition coded SNOMED 109989006 'Multiple myeloma' (no text) active, MedicationStatement lenalidomide active -> under oncology care -> refer back to oncology team (warning).",
     "Ultrasound left shoulder", "L shoulder pain 6 weeks",
     conds=[cond("c-mm", None, "2023-04-01", coding=[("109989006", "Multiple myeloma")])],
     meds=[med("m-len", "Lenalidomide 10mg capsules", "2023-06-01")], expect=nwl("oncology", underOncology="met"))
case("h72-nwl-mri-l-spine-no-hx-of-cancer-no-weight-loss-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 3/12. No hx of cancer, no weight loss, no night pain.' -> no suspected cancer -> community (warning).",
     "MRI lumbar spine", "LBP 3/12. No hx of cancer, no weight loss, no night pain.", conds=[LBP()],
     expect=nwl("community"))

# ---- round 2 (written before the second run)
case("h72-hny142-l-knee-order-reason-bmi-45-b-unknown",
     "USGI L knee. Order reason 'L knee OA, BMI 45, GP unable to inject'. Obesity (BMI 45 written in text) with no recorded failure to identify landmarks -> B unknown; physio failed -> E met; no injections -> C, D not met -> criteria unknown (info). Clause B.",
     "USGI left knee", "L knee OA, BMI 45",
     conds=[cond("c-koa", "Osteoarthritis of left knee", "2024-03-01", site="Left knee")],
     procs=[proc("p-ph", "Physiotherapy left knee", "2025-01-20", "no improvement")],
     expect=hny("criteria-unknown", cr(B="unknown")))
case("h72-hny142-r-plantar-fascia-two-landmark-inj-podiatry-insoles-c-met-commissioned",
     "USGI R plantar fascia (soft tissue). Two landmark plantar fascia injections R heel 2024-10 and 2025-04 'no relief'; podiatry insoles from Jan 2025 'no improvement' -> C met, E met -> commissioned. Seed: 'USGI of a corticosteroid to soft tissue or a joint'.",
     "USGI right plantar fascia", "R plantar fasciitis",
     conds=[cond("c-pf", "Plantar fasciitis of right foot", "2024-06-01", site="Right foot")],
     procs=[proc("p-i1", "Steroid injection right plantar fascia", "2024-10-02", "no relief"),
            proc("p-i2", "Steroid injection right plantar fascia", "2025-04-02", "no relief"),
            proc("p-pod", "Podiatry - orthotic insoles right foot", "2025-01-10", "no improvement")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-second-injection-booked-status-preparation-c-not-met",
     "NEGATIVE. USGI R knee. One completed landmark injection R knee (Mar 2025) 'no relief'; a second 'Steroid injection right knee' Procedure with status preparation (booked for Oct). Only one given -> C not met; E met -> not commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Steroid injection right knee", "2025-03-02", "no relief"),
            proc("p-i2", "Steroid injection right knee", "2025-10-02", "booked", status="preparation"), PHYSIO()],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-l-shoulder-attempt-abandoned-patient-too-distressed-d-met",
     "USGI L shoulder. Landmark glenohumeral injection L shoulder (Jun 2025) status stopped, note 'abandoned - patient too distressed and in severe pain'. Significant adverse effect (severe procedural pain stopping it) -> D met; physio no improvement -> E met -> commissioned.",
     "USGI left shoulder joint", "L shoulder OA",
     conds=[cond("c-sh", "Osteoarthritis of left shoulder", "2024-01-10", site="Left shoulder")],
     procs=[proc("p-i1", "Landmark guided injection left shoulder joint", "2025-06-05", "abandoned - patient too distressed and in severe pain", status="stopped"),
            proc("p-ph", "Physiotherapy left shoulder", "2025-01-10", "no improvement")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-coded-snomed-only-oa-and-injections-c-met",
     "USGI R knee. Condition coded SNOMED only 239873007 'Osteoarthritis of knee' with bodySite 'Right knee'; two Procedures coded SNOMED only 'Injection of steroid into knee joint' (bodySite in text 'right knee' is absent: code only, so side comes from the order? no) -- here the Procedure text is 'Injection of steroid into right knee joint' with code; physio no improvement -> C met, E met -> commissioned.",
     "USGI right knee", "R knee OA",
     conds=[cond("c-koa", None, "2024-03-01", site="Right knee", coding=[("239873007", "Osteoarthritis of knee")])],
     procs=[proc("p-i1", "Injection of steroid into right knee joint", "2024-12-02", "no relief", coding=[("91602002", "Injection of steroid into knee joint")]),
            proc("p-i2", "Injection of steroid into right knee joint", "2025-05-02", "no relief", coding=[("91602002", "Injection of steroid into knee joint")]), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-nwl-mri-l-spine-template-saddle-n-bladder-normal-bowels-normal-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 12/52. Saddle anaesthesia: N. Bladder: normal. Bowels: normal.' Template answers negative/normal -> community (warning), not critical.",
     "MRI lumbar spine", "LBP 12/52. Saddle anaesthesia: N. Bladder: normal. Bowels: normal.", conds=[LBP()],
     expect=nwl("community"))
case("h72-nwl-mri-l-spine-stress-incontinence-since-childbirth-2010-community",
     "NEGATIVE. MRI L-spine; reason 'LBP. Known stress incontinence since childbirth 2010, unchanged.' Long-standing, unchanged bladder symptom: not new -> community.",
     "MRI lumbar spine", "LBP. Known stress incontinence since childbirth 2010, unchanged.", conds=[LBP()],
     expect=nwl("community"))
case("h72-nwl-mri-l-spine-new-onset-faecal-incontinence-critical",
     "MRI L-spine; reason 'Back pain and sciatica, new onset faecal incontinence x2 this week'. New bowel dysfunction with sciatica -> suspected CES -> critical.",
     "MRI lumbar spine", "Back pain and sciatica, new onset faecal incontinence x2 this week", conds=[LBP()],
     expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-coded-retention-of-urine-recent-critical",
     "MRI L-spine; reason 'LBP'; Condition coded SNOMED only 267064002 'Retention of urine' active, onset 2025-09-13. New bladder dysfunction with back pain -> critical. Coded vs text.",
     "MRI lumbar spine", "LBP",
     conds=[LBP(), cond("c-ret", None, "2025-09-13", coding=[("267064002", "Retention of urine")])],
     expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-ces-card-given-aware-to-attend-ae-community",
     "NEGATIVE. MRI L-spine; reason 'Mechanical LBP. CES card given, aware to attend A&E if bladder or bowel symptoms or saddle numbness.' Safety-netting, no CES symptom -> community, not critical.",
     "MRI lumbar spine", "Mechanical LBP. CES card given, aware to attend A&E if bladder or bowel symptoms or saddle numbness.", conds=[LBP()],
     expect=nwl("community"))
case("h72-nwl-mri-c-spine-hand-clumsiness-query-myelopathy-community-not-critical",
     "NEGATIVE for critical. MRI C-spine from GP, reason 'Neck pain, hand clumsiness ?cervical myelopathy'. The seed names only CES (critical) and cancer as redirects; myelopathy is not CES -> community MSK (warning), not critical.",
     "MRI cervical spine", "Neck pain, hand clumsiness ?cervical myelopathy", expect=nwl("community"))
case("h72-nwl-mri-l-spine-nocturia-bph-on-tamsulosin-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 6/52'; Condition 'Benign prostatic hyperplasia' active since 2021, tamsulosin. Chronic urinary symptoms, not new -> community.",
     "MRI lumbar spine", "LBP 6/52",
     conds=[LBP(), cond("c-bph", "Benign prostatic hyperplasia with nocturia", "2021-04-01")],
     meds=[med("m-tam", "Tamsulosin 400microgram capsules", "2021-05-01")], expect=nwl("community"))
case("h72-nwl-us-r-thigh-enlarging-lump-soft-tissue-lump",
     "US R thigh, reason 'enlarging lump R thigh 5cm, deep to fascia'. Soft-tissue lump: separate NWL guidance (info redirect). Seed: '(NB: Separate NW London ICS guidance exists regarding imaging of soft-tissue lumps]'.",
     "Ultrasound right thigh", "enlarging lump R thigh 5cm, deep to fascia",
     expect={"cards": [{"indicator": "info", "policy": "nwl-msk-imaging", "decision": "redirect", "recommendations": ["soft-tissue-lump-guidance"], "criteria": dict(NWLC, softTissueLump="met"), "order": "ServiceRequest/sr-1"}], "decision": "redirect", "policy": "nwl-msk-imaging"})
case("h72-nwl-mri-l-spine-pmh-prostate-ca-2017-now-psa-rising-night-pain-cancer",
     "MRI L-spine; reason 'LBP, night pain, PMH prostate ca 2017 (RP), PSA now rising ?bony mets'. Suspected metastatic cancer -> local cancer pathway (warning).",
     "MRI lumbar spine", "LBP, night pain, PMH prostate ca 2017 (RP), PSA now rising ?bony mets",
     conds=[LBP(), cond("c-pca", "Prostate cancer", "2017-02-01", status="resolved")],
     expect=nwl("cancer", suspectedCancer="met"))

# ---- round 3 (written before the third run)
case("h72-nwl-mri-l-spine-saddle-anaesthesia-not-present-bladder-bowel-nad-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 8/52. Saddle anaesthesia not present. Bladder/bowel: NAD.' -> community (warning).",
     "MRI lumbar spine", "LBP 8/52. Saddle anaesthesia not present. Bladder/bowel: NAD.", conds=[LBP()], expect=nwl("community"))
case("h72-nwl-mri-l-spine-retention-ruled-out-bladder-scan-residual-50ml-community",
     "NEGATIVE. MRI L-spine; reason 'LBP with R sciatica. Urinary retention ruled out - bladder scan residual 50ml.' -> community.",
     "MRI lumbar spine", "LBP with R sciatica. Urinary retention ruled out - bladder scan residual 50ml.", conds=[LBP()], expect=nwl("community"))
case("h72-nwl-mri-l-spine-cannot-feel-toilet-paper-when-wiping-critical",
     "MRI L-spine; reason 'L sciatica, since Sunday cannot feel toilet paper when wiping'. Perianal sensory loss (GIRFT CES card wording) -> critical.",
     "MRI lumbar spine", "L sciatica, since Sunday cannot feel toilet paper when wiping", conds=[LBP()], expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-unable-to-get-erection-since-back-pain-started-critical",
     "MRI L-spine; reason 'LBP 2/52, unable to get an erection since the back pain started'. New sexual dysfunction with back pain (GIRFT CES red flag) -> critical.",
     "MRI lumbar spine", "LBP 2/52, unable to get an erection since the back pain started", conds=[LBP()], expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-leaking-urine-since-tuesday-sciatica-critical",
     "MRI L-spine; reason 'R sciatica, leaking urine since Tuesday, didn't notice'. New urinary incontinence with sciatica -> critical.",
     "MRI lumbar spine", "R sciatica, leaking urine since Tuesday, didn't notice", conds=[LBP()], expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-numb-between-legs-critical",
     "MRI L-spine; reason 'Back pain, feels numb between her legs'. Saddle anaesthesia in lay words -> critical.",
     "MRI lumbar spine", "Back pain, feels numb between her legs", conds=[LBP()], expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-r-thigh-query-sarcoma-cancer-pathway",
     "MRI R thigh, reason '?sarcoma R thigh'. Suspected cancer -> local cancer pathway (warning). Soft-tissue lump not named.",
     "MRI right thigh", "?sarcoma R thigh", expect=nwl("cancer", suspectedCancer="met"))
case("h72-hny142-r-knee-kenalog-40-r-knee-twice-no-relief-c-met-commissioned",
     "USGI R knee. Two Procedures 'Kenalog 40 R knee' (Nov 2024, May 2025) given in the practice (no guidance named = landmark), 'no relief'. Kenalog is injectable triamcinolone -> two landmark injections -> C met; E met -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Kenalog 40 R knee", "2024-11-02", "no relief"), proc("p-i2", "Kenalog 40 R knee", "2025-05-02", "no relief"), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-triamcinolone-ia-twice-no-relief-c-met-commissioned",
     "USGI R knee. Two Procedures 'Triamcinolone 40mg IA R knee' (IA = intra-articular) 'no relief' -> C met; E met -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Triamcinolone 40mg IA R knee", "2024-11-02", "no relief"), proc("p-i2", "Triamcinolone 40mg IA R knee", "2025-05-02", "no relief"), PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-r-shoulder-proximal-humerus-fracture-malunion-a-met-commissioned",
     "USGI R shoulder. Condition 'Malunion of fracture of proximal right humerus' (2021, inactive). Severe trauma deranging the joint -> A met; physio no improvement -> E met -> commissioned.",
     "USGI right shoulder", "R shoulder pain",
     conds=[cond("c-sh", "Right shoulder pain", "2024-05-01", site="Right shoulder"),
            cond("c-mal", "Malunion of fracture of proximal right humerus", "2021-03-01", status="inactive")],
     procs=[proc("p-ph", "Physiotherapy right shoulder", "2025-01-20", "no improvement")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-ibuprofen-gel-since-feb-two-inj-e-met-commissioned",
     "USGI R knee. Only conservative treatment: 'Ibuprofen 5% gel apply to right knee' active since Feb 2025 (topical NSAID, NICE NG226 first-line); two landmark injections no relief -> C met, E met -> commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Landmark injection right knee", "2024-11-02", "no relief"), proc("p-i2", "Landmark injection right knee", "2025-05-02", "no relief")],
     meds=[med("m-ibu", "Ibuprofen 5% gel apply to right knee three times a day", "2025-02-01")],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-post-injection-flare-24h-settled-d-not-met",
     "NEGATIVE. USGI R knee. One landmark injection R knee note 'post-injection flare for 24 hours, settled with paracetamol. No relief.' A brief flare that settled is not a significant adverse effect -> D not met; C not met; E met -> not commissioned.",
     "USGI right knee", "R knee OA", conds=[KOA()],
     procs=[proc("p-i1", "Landmark guided steroid injection right knee", "2025-05-05", "post-injection flare for 24 hours, settled with paracetamol. No relief."), PHYSIO()],
     expect=hny("not-commissioned", cr()))
case("h72-hny142-aspiration-r-olecranon-bursa-not-a-joint-no-decision",
     "USGI aspiration R olecranon bursa (soft tissue). Landmark aspiration R olecranon bursa (Aug 2025) 'dry tap'. First expectation was F met -> commissioned; corrected after the first run: the seed's aspiration clause is 'USGI for aspiration of a joint', a bursa is not a joint, so policy 142 makes no aspiration decision (only corticosteroid injection covers soft tissue) -> no decision.",
     "Ultrasound guided aspiration right olecranon bursa", "R olecranon bursitis",
     conds=[cond("c-ob", "Olecranon bursitis of right elbow", "2025-07-01", site="Right elbow")],
     procs=[proc("p-asp", "Aspiration right olecranon bursa", "2025-08-05", "dry tap")],
     expect={"cards": [], "decision": None})

# ---- round 4 (written before the fourth run): negatives around the new readings
case("h72-nwl-mri-l-spine-denies-numbness-around-her-back-passage-community",
     "NEGATIVE. MRI L-spine; reason 'LBP. Denies numbness around her back passage, bladder and bowels normal.' Negated red flags -> community (warning), not critical.",
     "MRI lumbar spine", "LBP. Denies numbness around her back passage, bladder and bowels normal.", conds=[LBP()], expect=nwl("community"))
case("h72-nwl-mri-l-spine-longstanding-unable-to-get-erection-for-years-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 6/52. Unable to get an erection for years, on sildenafil, unchanged.' Long-standing, unchanged sexual dysfunction is not the GIRFT 'new' red flag -> community (warning), not critical.",
     "MRI lumbar spine", "LBP 6/52. Unable to get an erection for years, on sildenafil, unchanged.", conds=[LBP()], expect=nwl("community"))
case("h72-nwl-mri-l-spine-can-feel-the-toilet-paper-normally-community",
     "NEGATIVE. MRI L-spine; reason 'L sciatica. Can feel the toilet paper normally when wiping.' -> community.",
     "MRI lumbar spine", "L sciatica. Can feel the toilet paper normally when wiping.", conds=[LBP()], expect=nwl("community"))
case("h72-hny142-r-knee-could-not-locate-the-joint-line-tense-effusion-b-met-commissioned",
     "USGI R knee. Order reason 'Could not locate the joint line at attempted landmark injection - tense effusion'. Failure to identify landmarks due to another disease process -> B met; E met (physio) -> commissioned.",
     "USGI right knee", "Could not locate the joint line at attempted landmark injection - tense effusion", conds=[KOA()], procs=[PHYSIO()],
     expect=hny("commissioned", None))
case("h72-hny142-r-knee-bmi-28-in-text-not-obese-b-not-met",
     "NEGATIVE. USGI R knee. Order reason 'R knee OA, BMI 28'. BMI < 30 is not obesity -> B not met; no injections; E met -> not commissioned (warning).",
     "USGI right knee", "R knee OA, BMI 28", conds=[KOA()], procs=[PHYSIO()], expect=hny("not-commissioned", cr()))
case("h72-nwl-mri-l-spine-saddle-numbness-since-yesterday-back-pain-for-years-critical",
     "MRI L-spine; reason 'Saddle numbness since yesterday, back pain for years'. New saddle anaesthesia with back pain -> critical ('for years' belongs to the back pain).",
     "MRI lumbar spine", "Saddle numbness since yesterday, back pain for years", conds=[LBP()], expect=nwl("critical", caudaEquina="met"))

# ---- round 5 (written before the fifth run)
case("h72-nwl-mri-l-spine-wife-reports-he-has-been-leaking-urine-since-last-night-critical",
     "MRI L-spine; reason 'L sciatica. Wife reports he has been leaking urine since last night.' The wife is the reporter, the patient the experiencer: new urinary incontinence with sciatica -> critical.",
     "MRI lumbar spine", "L sciatica. Wife reports he has been leaking urine since last night.", conds=[LBP()], expect=nwl("critical", caudaEquina="met"))
case("h72-nwl-mri-l-spine-no-change-in-bladder-or-bowel-habit-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 4/12, no change in bladder or bowel habit.' -> community (warning).",
     "MRI lumbar spine", "LBP 4/12, no change in bladder or bowel habit.", conds=[LBP()], expect=nwl("community"))
case("h72-nwl-mri-l-spine-urinary-frequency-uti-on-nitrofurantoin-community",
     "NEGATIVE. MRI L-spine; reason 'LBP 6/52'; Condition 'Urinary tract infection' (frequency, dysuria) onset last week, nitrofurantoin. UTI symptoms are not the CES bladder dysfunction (retention, incontinence, loss of sensation) -> community, not critical.",
     "MRI lumbar spine", "LBP 6/52",
     conds=[LBP(), cond("c-uti", "Urinary tract infection - frequency and dysuria", "2025-09-08")],
     meds=[med("m-nit", "Nitrofurantoin 100mg MR capsules", "2025-09-08")], expect=nwl("community"))
