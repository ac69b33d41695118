from lib import *

HNY = "hny-142-usgi"
M, N, U = "met", "not-met", "unknown"


def inj(A, B, C, D, E):
    return {"A": A, "B": B, "C": C, "D": D, "E": E}


def asp(A, B, F, G):
    return {"A": A, "B": B, "F": F, "G": G}


def notcomm(order, crit, rec="landmark-guided-injection"):
    return card(HNY, order, "warning", "not-commissioned", [rec], crit, 1)


def unknown(order, crit):
    return card(HNY, order, "info", "criteria-unknown", ["document-criteria"], crit, 0)


def commissioned(order):
    return [{"policy": HNY, "order": "ServiceRequest/" + order, "decision": "commissioned"}]


def oa_knee(coded_only=False, onset="2022-05-10"):
    if coded_only:
        return cond("oa-knee", None, [(SCT, "239873007", "Osteoarthritis of knee"), (ICD, "M17", "Gonarthrosis [arthrosis of knee]")],
                    onset={"onsetDateTime": onset}, bodySite={"coding": [{"system": LOCAL_CLIN, "code": "RKNEE", "display": "Right knee"}]})
    return cond("oa-knee", "Osteoarthritis of right knee", [(SCT, "239873007", "Osteoarthritis of knee")],
                onset={"onsetDateTime": onset}, bodySite="Right knee")


def physio_knee(start="2025-01-10", end="2025-04-10"):
    return proc("physio-knee", "Physiotherapy for right knee", [(LOCAL_CLIN, "PHYSKNEE", "Physiotherapy for right knee")],
                performed={"performedPeriod": {"start": start, "end": end}}, bodySite="Right knee", reason="oa-knee",
                note="Course of 6 sessions completed. Minimal improvement in pain.")


def usgi_knee(note=None):
    return sr("sr-usgi", "US guided steroid injection R knee joint", reasonRefs=["oa-knee"],
              reasons=[cc(None, [(SCT, "239873007", "Osteoarthritis of knee")])], note=note)


def landmark_knee(id, date, status="completed", note="No symptomatic relief at 6/52 review", complication=None):
    return proc(id, "Landmark guided corticosteroid injection of right knee joint",
                [(LOCAL_CLIN, "LGIKNEE", "Landmark guided injection of knee joint")], status=status,
                performed={"performedPeriod": {"start": date, "end": date}}, bodySite="Right knee",
                reason="oa-knee", note=note, complication=complication)


def build(base):
    E = bundle([])

    # H1 refuted fracture not counted for A
    req = request([usgi_knee()],
                  conditions=bundle([oa_knee(),
                                     cond("frac-tp", "Fracture of right tibial plateau", clinical="active", verification="refuted",
                                          onset={"onsetDateTime": "2025-11-02"}, bodySite="Right knee",
                                          note="X-ray in UTC: no fracture seen")]),
                  procedures=bundle([physio_knee()]), observations=E, medications=E)
    write(base, "hny-refuted-tibial-plateau-fracture-not-trauma", req,
          "HNY 142 (seed 000) injection: (A or B or C or D) and E. A 'History of severe trauma which would derange the normal architecture of the joint': the only fracture Condition is verificationStatus refuted (policies.md: not refuted or entered in error), so A is not met; B-D not recorded; E met (OA right knee since 2022, physio Jan-Apr 2025 with minimal improvement). Not commissioned: landmark-guided injection.",
          cards=[notcomm("sr-usgi", inj(N, N, N, N, M))])

    # H3 resolved fracture still counts as history of trauma
    req = request([usgi_knee()],
                  conditions=bundle([oa_knee(onset="2023-02-01"),
                                     cond("frac-pat", "Fracture of right patella", clinical="resolved",
                                          onset={"onsetDateTime": "2016-03-14"},
                                          abatement={"abatementDateTime": "2016-08-01"}, bodySite="Right knee")]),
                  procedures=bundle([physio_knee("2025-02-01", "2025-05-01")]), observations=E, medications=E)
    write(base, "hny-resolved-patella-fracture-is-history-of-trauma", req,
          "HNY 142 A 'History of severe trauma which would derange the normal architecture of the joint': policies.md A reads a Condition of any clinical status; a resolved (abatementDateTime 2016) fracture of the right patella is a fracture of a bone forming the knee, so A met; E met (OA since 2023, physio Feb-May 2025). Commissioned: no card by default, decision recorded.",
          cards=[], decisions=commissioned("sr-usgi"))

    # H4 coded-only 'Injury of knee' -> A unknown
    req = request([usgi_knee()],
                  conditions=bundle([oa_knee(coded_only=True),
                                     cond("inj-knee", None, [(SCT, "125601008", "Injury of knee")], clinical="inactive",
                                          onset={"onsetDateTime": "2019-07-20"},
                                          bodySite={"coding": [{"system": LOCAL_CLIN, "code": "RKNEE", "display": "Right knee"}]})]),
                  procedures=bundle([physio_knee()]), observations=E, medications=E)
    write(base, "hny-coded-only-injury-of-knee-A-unknown", req,
          "HNY 142 A: policies.md 'unknown when an injury of that joint is recorded without its nature or severity (e.g. Injury of knee)'. Both Conditions carry only code.coding (SNOMED 125601008 Injury of knee, 239873007 OA knee) and no code.text, as GP Connect sends them; coded conditions must still be read. A unknown, B-D not met, E met (physio Jan-Apr 2025) -> cannot tell.",
          cards=[unknown("sr-usgi", inj(U, N, N, N, M))])

    # H5 coded-only obesity -> B unknown
    req = request([usgi_knee()],
                  conditions=bundle([oa_knee(coded_only=True),
                                     cond("obese", None, [(SCT, "414916001", "Obesity"), (ICD, "E66.9", "Obesity, unspecified")],
                                          onset={"onsetDateTime": "2018-01-01"})]),
                  procedures=bundle([physio_knee(), landmark_knee("lgi-1", "2025-09-02")]), observations=E, medications=E)
    write(base, "hny-coded-only-obesity-B-unknown", req,
          "HNY 142 B 'Failure to identify landmarks due to obesity or another disease process': policies.md B unknown when obesity is recorded (Condition) but not the failure itself. Obesity is a coded-only Condition (414916001/E66.9, no text). Only one landmark injection (C needs two) -> C not met; E met. Expectation corrected after the first run (my misreading): the completed landmark-guided injection of this knee in Sept 2025 shows its landmarks were identified, so obesity alone does not leave B open: B not met and the order is not commissioned. The coded-only obesity probe without a previous landmark injection is h116-hny-coded-only-obesity-no-prior-landmark-B-unknown.",
          cards=[notcomm("sr-usgi", inj(N, N, N, N, M))])

    # H8 two landmark injections, no relief -> C met, commissioned
    req = request([usgi_knee()],
                  conditions=bundle([oa_knee()]),
                  procedures=bundle([physio_knee(), landmark_knee("lgi-1", "2025-06-03", note="Reviewed 6/52: no benefit"),
                                     landmark_knee("lgi-2", "2025-10-14")]),
                  observations=E, medications=E)
    write(base, "hny-two-landmark-injections-performedPeriod-commissioned", req,
          "HNY 142 C 'No symptomatic relief after two landmark guided injections': two completed landmark-guided injections of the right knee (performedPeriod, local codes), each noting no relief; E met (OA since 2022, physio Jan-Apr 2025). Commissioned: no card.",
          cards=[], decisions=commissioned("sr-usgi"))

    # H9 second injection entered-in-error -> C not met
    req = request([usgi_knee()],
                  conditions=bundle([oa_knee()]),
                  procedures=bundle([physio_knee(), landmark_knee("lgi-1", "2025-06-03", note="Reviewed 6/52: no benefit"),
                                     landmark_knee("lgi-2", "2025-10-14", status="entered-in-error",
                                                   note="Recorded against wrong patient")]),
                  observations=E, medications=E)
    write(base, "hny-second-landmark-injection-entered-in-error", req,
          "HNY 142 C needs two landmark guided injections: the second Procedure is status entered-in-error, so only one counts; C not met, A/B/D not met, E met. Not commissioned.",
          cards=[notcomm("sr-usgi", inj(N, N, N, N, M))])

    # H11 GP steroid injections without guidance stated -> landmark by default
    gp1 = proc("gpinj-1", "Injection of steroid into right knee joint", [(LOCAL_CLIN, "INJKNEE", "Injection of steroid into knee joint")],
               performed={"performedDateTime": "2025-04-22"}, bodySite="Right knee", reason="oa-knee",
               note="Depo-Medrone 40mg + lidocaine, medial approach. Dr Patel (GPwER).")
    gp2 = proc("gpinj-2", "Injection of steroid into right knee joint", [(LOCAL_CLIN, "INJKNEE", "Injection of steroid into knee joint")],
               performed={"performedDateTime": "2025-09-30"}, bodySite="Right knee", reason="oa-knee",
               note="2nd injection. Pt reports no benefit from first.")
    req = request([usgi_knee(note="2 x GP knee injections, no relief. Requesting USGI.")],
                  conditions=bundle([oa_knee()]), procedures=bundle([physio_knee(), gp1, gp2]),
                  observations=E, medications=E)
    write(base, "hny-gp-surgery-knee-injections-are-landmark-guided", req,
          "HNY 142 C 'No symptomatic relief after two landmark guided injections': two GP-surgery steroid injections of the right knee with an anatomical (medial) approach and no image guidance are landmark-guided injections; the order note says no relief. C met, E met. Commissioned.",
          cards=[], decisions=commissioned("sr-usgi"))

    # H12 severe procedural pain -> D met (shoulder)
    sa = cond("sai", "Subacromial impingement of left shoulder", onset={"onsetDateTime": "2024-06-11"}, bodySite="Left shoulder")
    phys_sh = proc("physio-sh", "Physiotherapy for shoulder", performed={"performedPeriod": {"start": "2025-01-06", "end": "2025-04-07"}},
                   bodySite="Left shoulder", reason="sai", note="Home exercise programme. Little change.")
    lgi_sh = proc("lgi-sh", "Subacromial injection of left shoulder (landmark guided)", performed={"performedDateTime": "2025-11-05"},
                  bodySite="Left shoulder", reason="sai", complication=["Severe procedural pain, procedure abandoned part-way"])
    order = sr("sr-usgi-sh", "USS guided subacromial injection L shoulder", reasonRefs=["sai"])
    req = request([order], conditions=bundle([sa]), procedures=bundle([phys_sh, lgi_sh]), observations=E, medications=E)
    write(base, "hny-severe-procedural-pain-landmark-shoulder-D-met", req,
          "HNY 142 D 'Significant adverse effects associated with a landmark guided injection, such as severe procedural pain': Procedure.complication 'Severe procedural pain' on a landmark subacromial injection of the left shoulder. D met, E met (impingement since 2024, physio Jan-Apr 2025). Commissioned.",
          cards=[], decisions=commissioned("sr-usgi-sh"))

    # H13 complication without severity -> D unknown
    req = request([usgi_knee()], conditions=bundle([oa_knee()]),
                  procedures=bundle([physio_knee(), landmark_knee("lgi-1", "2025-10-01", note=None, complication=["Post-injection flare"])]),
                  observations=E, medications=E)
    write(base, "hny-post-injection-flare-D-unknown", req,
          "HNY 142 D: policies.md 'unknown when a complication is recorded without its severity'. Procedure.complication 'Post-injection flare' on one landmark knee injection; C not met (one injection), A/B not met, E met. Cannot tell.",
          cards=[unknown("sr-usgi", inj(N, N, N, U, M))])

    # H17 resolved problem with abatementString -> E not met
    bur = cond("bursitis", "Subacromial bursitis right shoulder", clinical="resolved", onset={"onsetDateTime": "2025-03-01"},
               abatement={"abatementString": "Resolved with physio Nov 2025"}, bodySite="Right shoulder")
    ph = proc("physio-rsh", "Physiotherapy - shoulder", performed={"performedPeriod": {"start": "2025-04-01", "end": "2025-07-01"}},
              bodySite="Right shoulder", reason="bursitis")
    l1 = proc("lgi-r1", "Landmark guided subacromial injection R shoulder", performed={"performedDateTime": "2025-05-12"},
              bodySite="Right shoulder", reason="bursitis", note="No relief")
    l2 = proc("lgi-r2", "Landmark guided subacromial injection R shoulder", performed={"performedDateTime": "2025-08-19"},
              bodySite="Right shoulder", reason="bursitis", note="No relief")
    req = request([sr("sr-usgi-rsh", "Ultrasound guided subacromial injection right shoulder", reasonRefs=["bursitis"])],
                  conditions=bundle([bur]), procedures=bundle([ph, l1, l2]), observations=E, medications=E)
    write(base, "hny-resolved-bursitis-abatementString-E-not-met", req,
          "HNY 142 E 'No response to conservative treatment over at least three months': policies.md E needs the problem still active and not met when a good response is recorded. The bursitis is clinicalStatus resolved with abatementString 'Resolved with physio Nov 2025'. C met (two landmark injections, no relief) but E not met. Not commissioned.",
          cards=[notcomm("sr-usgi-rsh", inj(N, N, M, N, N))])

    # H18 aspiration dry tap -> F met
    eff = cond("effusion", "Effusion of right knee joint", onset={"onsetDateTime": "2026-02-20"}, bodySite="Right knee")
    dry = proc("asp-1", "Aspiration of right knee joint", [(LOCAL_CLIN, "ASPKNEE", "Aspiration of knee joint")],
               performed={"performedDateTime": "2026-02-24"}, bodySite="Right knee", reason="effusion",
               outcome="Dry tap - unsuccessful, landmark technique")
    req = request([sr("sr-usga", "US guided aspiration right knee effusion", reasonRefs=["effusion"])],
                  conditions=bundle([eff]), procedures=bundle([dry]), observations=E, medications=E)
    write(base, "hny-aspiration-dry-tap-F-met", req,
          "HNY 142 aspiration: A or B or F or G. F 'Failure to successfully aspirate after a landmark guided attempt': Procedure outcome 'Dry tap - unsuccessful, landmark technique' for the right knee. F met. Commissioned: no card.",
          cards=[], decisions=[{"policy": HNY, "order": "ServiceRequest/sr-usga", "decision": "commissioned"}])

    # H19 declined beforehand is not an attempt -> G not met
    dec = proc("asp-nd", "Landmark guided aspiration of right knee", status="not-done", statusReason="Patient declined procedure",
               performed={"performedDateTime": "2026-02-24"}, bodySite="Right knee", reason="effusion")
    req = request([sr("sr-usga", "US guided aspiration right knee effusion", reasonRefs=["effusion"])],
                  conditions=bundle([eff]), procedures=bundle([dec]), observations=E, medications=E)
    write(base, "hny-aspiration-declined-not-an-attempt", req,
          "HNY 142 aspiration G 'Abandonment of a landmark guided attempt, due to significant adverse effects': policies.md 'declining beforehand is not an attempt'. The only landmark aspiration is status not-done, statusReason 'Patient declined procedure'; F not met (no failed attempt), G not met, A/B not met. Not commissioned: landmark-guided aspiration.",
          cards=[notcomm("sr-usga", asp(N, N, N, N), rec="landmark-guided-aspiration")])

    # H21 procedures not sent -> C and D unknown
    nsaid = medreq("naproxen", "Naproxen 500mg tablets", authored="2025-07-01", dosage="One tablet twice daily with food", reason="oa-knee")
    req = request([usgi_knee()], conditions=bundle([oa_knee()]), observations=E, medications=bundle([nsaid]))
    write(base, "hny-procedures-not-sent-C-D-unknown", req,
          "HNY 142 C and D read the patient's Procedures; the procedures prefetch key is absent (not sent), so policies.md: C and D unknown (data not available), never not met. E met from the active naproxen for OA knee since July 2025. A/B not met. Cannot tell; status 200 (procedures optional).",
          cards=[unknown("sr-usgi", inj(N, N, U, U, M))])

    # H22 conditions not sent, no FHIR server -> 412
    req = request([usgi_knee()], hook="order-sign", procedures=bundle([physio_knee()]), fhirServer=False)
    write(base, "hny-conditions-key-absent-412", req,
          "CDS Hooks 2.0 Prefetch: the service cannot obtain required data (no conditions prefetch key, no fhirServer) -> 412 Precondition Failed naming conditions (policies.md Data the policies need).",
          status=412, missing=["conditions"])

    # H23 conditions null -> empty list, 200
    req = request([sr("sr-usgi", "US guided steroid injection R knee joint",
                      reasons=[cc(None, [(SCT, "239873007", "Osteoarthritis of knee")])])],
                  hook="order-sign", conditions=None, procedures=E, observations=E, medications=E, fhirServer=False)
    write(base, "hny-conditions-null-is-empty-list", req,
          "CDS Hooks 2.0 Prefetch: a null prefetch value means the client has no data (policies.md: an empty list), so 200. HNY 142: A-D not met (no Conditions, empty Procedures/Observations); E not met: expectation corrected after the first run (my misreading): Procedures and medications were sent and show no treatment, and no problem of three months or more is recorded, so the general rule (data available, shows nothing) gives not met; the 'unknown' clause needs a problem known to be >= 3 months old. Not commissioned; order-sign records it with one update system action.",
          cards=[notcomm("sr-usgi", inj(N, N, N, N, N))], systemActions=1)

    # H24 conditions = OperationOutcome -> 412
    req = request([usgi_knee()], conditions=outcome("GP Connect provider system did not respond in time", "error", "timeout"),
                  procedures=bundle([physio_knee()]), fhirServer=False)
    write(base, "hny-conditions-operationoutcome-412", req,
          "CDS Hooks 2.0 4.4: a prefetch key answered with an OperationOutcome reports a prefetch error; the Conditions were not obtained and there is no fhirServer, so 412 naming conditions.",
          status=412, missing=["conditions"])

    # H27 NSAID cancelled is not treatment
    nap_c = medreq("naproxen", "Naproxen 500mg tablets", status="cancelled", authored="2025-05-01", reason="oa-knee",
                   note="Cancelled - CKD3, eGFR 42")
    req = request([usgi_knee()], conditions=bundle([oa_knee(onset="2023-01-12")]),
                  procedures=bundle([landmark_knee("lgi-1", "2025-06-03"), landmark_knee("lgi-2", "2025-10-14")]),
                  observations=E, medications=bundle([nap_c]))
    write(base, "hny-cancelled-naproxen-not-conservative-treatment", req,
          "HNY 142 E: policies.md 'analgesics/NSAIDs actually given - not cancelled'. The only treatment is a cancelled naproxen MedicationRequest; OA since 2023 (>= 3 months) with no treatment recorded -> E unknown. C met (two landmark injections, no relief). (true) and unknown -> cannot tell.",
          cards=[unknown("sr-usgi", inj(N, N, M, N, U))])

    # H28 searchset with include + outcome entries
    oa_hip = cond("oa-hip", "Osteoarthritis of right hip", [(SCT, "239872002", "Osteoarthritis of hip")],
                  onset={"onsetDateTime": "2021-09-01"}, bodySite="Right hip")
    nof = cond("nof", "Fracture of neck of right femur", clinical="resolved", onset={"onsetDateTime": "2019-02-10"},
               abatement={"abatementDateTime": "2019-09-01"}, bodySite="Right hip", note="DHS fixation 2019")
    phip = proc("physio-hip", "Physiotherapy for right hip", performed={"performedPeriod": {"start": "2025-03-03", "end": "2025-06-02"}},
                bodySite="Right hip", reason="oa-hip", note="No improvement")
    cb = bundle([oa_hip, nof], include=[patient()], outcomes=[outcome("1 record withheld: marked confidential by the practice")])
    pb = bundle([phip], outcomes=[outcome("No Procedure resources found in the last 12 months for code filter")])
    req = request([sr("sr-usgi-hip", "Ultrasound guided injection of right hip joint", reasonRefs=["oa-hip"])],
                  conditions=cb, procedures=pb, observations=E, medications=E)
    write(base, "hny-searchset-include-and-outcome-entries", req,
          "HNY 142 A: the conditions searchset carries, besides its match entries, an included Patient (search.mode include) and an informational OperationOutcome (search.mode outcome); the match entries are still read. Resolved fracture of the neck of the right femur (bone forming the hip) -> A met; E met (OA hip since 2021, physio Mar-Jun 2025, no improvement). Commissioned: no card.",
          cards=[], decisions=[{"policy": HNY, "order": "ServiceRequest/sr-usgi-hip", "decision": "commissioned"}])
