from lib import *
import hny, gm
# HNY E: naproxen doNotPerform with no reason: still not treatment
p1 = hny.lgi("p-lgi-1", "2024-11-05"); p2 = hny.lgi("p-lgi-2", "2025-03-12")
nap = medreq("m-nap", "Naproxen 250mg tablets", doNotPerform=True, authored="2024-06-01",
             dosageInstruction=[{"text": "One tablet twice a day with food"}])
write("h106-hny142-e-naproxen-request-donotperform-no-reason-since-2024-e-unknown-info",
      "USGI R knee; two landmark-guided injections without relief (C met); MedicationRequest naproxen 250mg, status active, authored June 2024, doNotPerform true and no reason (the EHR's 'do not prescribe' entry). A prohibition is not an analgesic 'actually given' (policies.md E). OA since 2023, no treatment recorded -> E unknown -> criteria unknown, info.",
      [hny.usgi()], [hny.info(C="met", E="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[hny.oa()], procedures=[p1, p2], medications=[nap])
# GM: contained rivaroxaban statement in order supportingInfo
o = gm.fji()
o["contained"] = [medstmt("rivx", "Rivaroxaban 20mg tablets", status="active", effectivePeriod={"start": "2024-03-01"},
                          dosage=[{"text": "20mg once daily with evening meal"}], reasonCode=[{"text": "Recurrent PE"}])]
o["supportingInfo"] = [{"reference": "#rivx", "display": "Current medication"}]
write("h106-gm070-lumbar-fji-contained-rivaroxaban-statement-in-supportinginfo-contraindicated",
      "Lumbar FJI; the order carries the patient's current rivaroxaban 20mg once daily (recurrent PE) as a contained MedicationStatement referenced from supportingInfo '#rivx'; the medications prefetch is an empty Bundle. " + gm.SEED_CI + " Therapeutic DOAC: anticoagulation met -> contraindicated.",
      [o], [gm.ci(anticoagulation="met")], gm.D(d="contraindicated"), conditions=[gm.clbp()], medications=[])
# GM: warfarin request doNotPerform (haemophilia? no) - thoracic
wf = medreq("m-wf", "Warfarin sodium 3mg tablets", status="active", doNotPerform=True, authored="2025-08-01",
            note=[{"text": "Not for anticoagulation - falls risk, discussed with patient"}])
write("h106-gm070-thoracic-fji-warfarin-request-donotperform-falls-risk-not-anticoagulated-ifr",
      "Thoracic FJI T8/9; MedicationRequest warfarin 3mg status active with doNotPerform true ('Not for anticoagulation - falls risk'). " + gm.SEED_CI + " An order not to anticoagulate is not anticoagulation: not met. Seed 004: thoracic facet injections not commissioned; IFR -> warning.",
      [sr("sr-tfji", "Thoracic facet joint injection T8/9", reason="Thoracic back pain")],
      [card("warning", GM, "sr-tfji", "not-commissioned", ["ifr"], gm.lum())], [dec(GM, "sr-tfji", "not-commissioned")],
      conditions=[cond("c-tbp", "Thoracic back pain", onset="2024-11-01")], medications=[wf])
