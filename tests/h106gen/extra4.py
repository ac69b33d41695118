from lib import *
import hny, gm
def oo(code, diag, sev="error"):
    return {"resourceType": "OperationOutcome", "id": "oo-" + code, "issue": [{"severity": sev, "code": code, "diagnostics": diag}]}
nap = medreq("m-nap", "Naproxen 500mg tablets", authored="2024-10-01", reasonCode=[{"text": "Right knee OA pain"}],
             dosageInstruction=[{"text": "One twice a day with food"}])
write("h106-hny142-procedures-bundle-only-error-operationoutcome-too-costly-c-d-unknown-info",
      "USGI R knee; the procedures prefetch is a searchset Bundle whose only entry is an OperationOutcome (search.mode outcome, severity error, too-costly: the server refused the search). The client could not get the procedures: they are not available, not 'none'. policies.md: unknown 'when that data was not available'. C and D unknown; E met by naproxen for the right knee since Oct 2024; A, B not met -> criteria unknown, info.",
      [hny.usgi()], [hny.info(C="unknown", D="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[hny.oa()], procedures=bundle([oo("too-costly", "Procedure search too costly - refine the search")]), medications=[nap])
p1 = hny.lgi("p-lgi-1", "2024-11-05"); p2 = hny.lgi("p-lgi-2", "2025-03-12")
write("h106-hny142-procedures-bundle-partial-error-operationoutcome-two-lgi-found-c-met-commissioned",
      "USGI R knee; the procedures Bundle is partial (an OperationOutcome entry, severity error: 'results from the community provider could not be retrieved') but it does hold two landmark-guided injections of the right knee without relief and physio since Jan 2025. What is found still shows the criteria: C met, E met -> commissioned, quiet.",
      [hny.usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")],
      conditions=[hny.oa()], procedures=bundle([p1, p2, hny.physio(), oo("incomplete", "Results from the community provider could not be retrieved")]))
write("h106-gm070-lumbar-fji-medications-bundle-only-error-operationoutcome-anticoag-unknown-mbb",
      "Lumbar FJI; the medications prefetch is a Bundle whose only entry is an OperationOutcome (severity error, exception: 'Medication service unavailable'). The medications were not available. " + gm.SEED_CI + " anticoagulation unknown (policies.md: unknown when the data was not available), so the contraindication does not hold -> lumbar not commissioned warning listing anticoagulation as unknown.",
      [gm.fji()], [gm.mbb(anticoagulation="unknown")], gm.D(), conditions=[gm.clbp()],
      medications=bundle([oo("exception", "Medication service unavailable")]))
write("h106-gm070-lumbar-fji-medications-bundle-warning-operationoutcome-no-entries-mbb",
      "Lumbar FJI; the medications Bundle has no matches and an OperationOutcome entry of severity warning ('No current medication'): a warning is not a failed search, the medications were read and hold no anticoagulant. " + gm.SEED_CI + " anticoagulation not met -> lumbar not commissioned, medial branch block.",
      [gm.fji()], [gm.mbb()], gm.D(), conditions=[gm.clbp()],
      medications=bundle([oo("informational", "No current medication", sev="warning")]))
