from lib import *
import nwl, gm
c = cond("c-ces", "Suspected cauda equina syndrome", ver="provisional", category="encounter-diagnosis", onset="2025-09-15")
write("h106-nwl-mri-l-spine-conditions-prefetch-single-condition-not-bundle-ces-critical",
      "MRI L-spine from a GP; the conditions prefetch is a single Condition resource (not a Bundle: CDS Hooks allows a resource) 'Suspected cauda equina syndrome', provisional, today. " + nwl.SEED_CES + " caudaEquina met -> critical.",
      [nwl.mri_ls()], [nwl.crit_card()], nwl.D(), prefetch_override={"conditions": c})
write("h106-nwl-mri-l-spine-ces-condition-only-as-search-include-critical",
      "MRI L-spine from a GP; the conditions Bundle holds low back pain (search.mode match) and 'Cauda equina syndrome' active, reached only as search.mode include (the server _included the order's reasonReference). It is still the patient's Condition. " + nwl.SEED_CES + " caudaEquina met -> critical.",
      [nwl.mri_ls()], [nwl.crit_card()], nwl.D(),
      conditions=bundle([nwl.lbp(), cond("c-ces", "Cauda equina syndrome", onset="2025-09-14")], ["match", "include"]))
apx = medreq("m-apx", "Apixaban 5mg tablets", intent="plan", authored="2025-09-12", dosageInstruction=[{"text": "5mg twice daily from 22/09 after cardioversion planning"}])
write("h106-gm070-lumbar-fji-apixaban-request-intent-plan-active-intended-contraindicated",
      "Lumbar FJI; MedicationRequest apixaban 5mg twice daily, status active, intent plan (to start next week for AF). policies.md anticoagulation: 'warfarin, a DOAC ... active or intended'. anticoagulation met -> contraindicated.",
      [gm.fji()], [gm.ci(anticoagulation="met")], gm.D(d="contraindicated"), conditions=[gm.clbp()], medications=[apx])
