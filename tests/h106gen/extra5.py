from lib import *
import nwl, json, os
def oo(code, diag, sev="error"):
    return {"resourceType": "OperationOutcome", "id": "oo-" + code, "issue": [{"severity": sev, "code": code, "diagnostics": diag}]}
name = "h106-412-nwl-mri-l-spine-conditions-bundle-only-fatal-operationoutcome"
write(name, "MRI L-spine from a GP; the conditions prefetch is a searchset Bundle whose only entry is an OperationOutcome of severity fatal ('Problem list service unavailable'). The client could not get the Conditions, which the policies require: policies.md 'Data the policies need': Conditions 'neither prefetched ... nor obtainable from fhirServer' -> HTTP 412 naming the missing data (no access token was sent, so nothing can be fetched).",
      [nwl.mri_ls()], [], [], conditions=bundle([oo("exception", "Problem list service unavailable", sev="fatal")]))
p = os.path.join(OUT, name, "expected.json"); e = json.load(open(p))
e["status"] = 412; e["systemActions"] = 0; e["missing"] = "conditions"
json.dump(e, open(p, "w"), indent=1, ensure_ascii=False)
