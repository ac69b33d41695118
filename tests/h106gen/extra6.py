from lib import *
import hny, nwl, gm
# 1 CES clinicalStatus text only
c = cond("c-ces", "Cauda equina syndrome", clinical=None, onset="2025-09-14")
c["clinicalStatus"] = {"text": "Active"}
write("h106-nwl-mri-l-spine-ces-clinicalstatus-text-only-active-critical",
      "MRI L-spine from a GP; Condition 'Cauda equina syndrome' whose clinicalStatus is a CodeableConcept with text 'Active' and no coding (a legacy feed), confirmed, onset yesterday. " + nwl.SEED_CES + " Active CES: caudaEquina met -> critical.",
      [nwl.mri_ls()], [nwl.crit_card()], nwl.D(), conditions=[nwl.lbp(), c])
# 2 USGI expressed by orderDetail
o = sr("sr-usgi-rk", "Injection of right knee joint", reason="OA right knee", orderDetail=[{"text": "Ultrasound guided"}])
write("h106-hny142-order-code-knee-injection-orderdetail-ultrasound-guided-warning",
      "Order 'Injection of right knee joint' with orderDetail 'Ultrasound guided' (the guidance is an order detail in the catalogue). policies.md Trigger: the order denotes an ultrasound-guided injection -> HNY 142 applies; nothing but E met -> not commissioned, landmark-guided injection.",
      [o], [hny.warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")], conditions=[hny.oa()], procedures=[hny.physio()])
# 3 laterality as a separate bodySite entry
lk = cond("c-oa-lk", "Osteoarthritis of knee", [(SCT, "239873007", "Osteoarthritis of knee")], bodySite=[{"text": "Knee joint"}, {"text": "Left"}])
def llgi(id, when):
    return proc(id, "Landmark guided steroid injection knee", when=when, bodySite=[{"text": "Knee joint"}, {"text": "Left"}], outcome={"text": "No benefit"})
ph = proc("p-physio", "Physiotherapy knee", when={"start": "2025-01-10", "end": "2025-04-20"}, bodySite=[{"text": "Knee joint"}, {"text": "Left"}], outcome={"text": "No improvement"})
o = sr("sr-usgi-lk", "US guided steroid injection knee", reason="OA knee", bodySite=[{"text": "Knee joint"}, {"text": "Left"}])
write("h106-hny142-laterality-as-second-bodysite-entry-left-knee-c-met-commissioned",
      "USGI knee with the side given as a second bodySite entry ('Knee joint', 'Left'), on the order and on the OA, the two landmark-guided injections (no benefit) and the physio. The same joint and side throughout (policies.md: 'the same joint means the same body site and side, from codes, bodySite, or the text'). C met, E met -> commissioned, quiet.",
      [o], [], [dec(HNY, "sr-usgi-lk", "commissioned")], conditions=[lk], procedures=[llgi("p-lgi-1", "2024-11-05"), llgi("p-lgi-2", "2025-03-12"), ph])
# 4 same as 3 but injections on the right: other side
def rlgi(id, when):
    return proc(id, "Landmark guided steroid injection knee", when=when, bodySite=[{"text": "Knee joint"}, {"text": "Right"}], outcome={"text": "No benefit"})
write("h106-hny142-laterality-second-bodysite-entry-injections-right-order-left-c-not-met-warning",
      "USGI knee, bodySite ('Knee joint', 'Left'); the two landmark-guided injections were of the RIGHT knee (bodySite 'Knee joint', 'Right'). Other side: C needs 'that joint and side'. C not met; E met (left knee OA and physio) -> not commissioned, landmark-guided injection.",
      [o], [card("warning", HNY, "sr-usgi-lk", "not-commissioned", ["landmark-guided-injection"], hny.crit())], [dec(HNY, "sr-usgi-lk", "not-commissioned")],
      conditions=[lk], procedures=[rlgi("p-lgi-1", "2024-11-05"), rlgi("p-lgi-2", "2025-03-12"), ph])
# 5 BMI cancelled
write("h106-hny142-b-bmi-36-status-cancelled-b-not-met-warning",
      "USGI R knee; the only BMI Observation (36.0) has status cancelled (measurement abandoned, scales faulty). A cancelled observation records no result. " + hny.SEED_B + " B not met; E met -> not commissioned.",
      [hny.usgi()], [hny.warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")], conditions=[hny.oa()], procedures=[hny.physio()],
      observations=[bmi("o-bmi", 36.0, status="cancelled")])
# 6 BMI preliminary 33
write("h106-hny142-b-bmi-33-status-preliminary-b-unknown-info",
      "USGI R knee; BMI 33.0 kg/m2 with status preliminary (entered by the HCA, not yet verified). A preliminary result is still a recorded BMI >= 30. " + hny.SEED_B + " B unknown; E met -> criteria unknown, info.",
      [hny.usgi()], [hny.info(B="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")], conditions=[hny.oa()], procedures=[hny.physio()],
      observations=[bmi("o-bmi", 33.0, status="preliminary")])
# 7 provocation not performed
write("h106-gm070-si-thigh-thrust-data-absent-not-performed-not-met-ifr",
      "Image-guided SI joint injection; physio failed; template Observation 'Thigh thrust test' with no value and dataAbsentReason not-performed (not examined: pregnant). No test was done, so none is recorded positive; no sacroiliitis. " + gm.SEED_SI + " provocationPositive not met -> not commissioned (warning, IFR).",
      [gm.sij()], [gm.nc()], gm.D("sr-sij"), conditions=[gm.sijpain()], procedures=[gm.physio_si()],
      observations=[obs("o-tt", "Thigh thrust test", dataAbsentReason={"coding": [{"system": DAR, "code": "not-performed"}], "text": "Not examined - pregnant"})])
# 8 same draft order twice in draftOrders (order-sign)
o = gm.fji()
write("h106-gm070-order-sign-same-facet-order-listed-twice-one-card-one-action",
      "order-sign whose draftOrders Bundle lists the same ServiceRequest/sr-fji twice (the EHR sent the order once per basket view). policies.md: 'At most one card per policy and order'. " + gm.SEED_LUMBAR + " One warning, one decision, one system action.",
      [o, o], [gm.mbb()], gm.D(), conditions=[gm.clbp()])
