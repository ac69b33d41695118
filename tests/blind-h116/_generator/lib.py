import json, os, copy, uuid, hashlib

NOW = "2026-03-10T12:00:00Z"
PAT = "pat-gpc-116"
LOCAL_ORD = "https://fhir.example-gp.nhs.uk/CodeSystem/order-catalogue"
LOCAL_CLIN = "https://fhir.example-gp.nhs.uk/CodeSystem/local-clinical-codes"
SCT = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10"
NHS_EXT = [{"url": "https://fhir.nhs.uk/StructureDefinition/Extension-CareConnect-GPC-ProblemSignificance-1",
            "valueCode": "major"}]


def patient():
    return {"resourceType": "Patient", "id": PAT,
            "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"]},
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
            "name": [{"use": "official", "family": "Gpctest", "given": ["Sam"]}],
            "gender": "male", "birthDate": "1958-04-02"}


def cc(text=None, codings=None):
    o = {}
    if codings:
        o["coding"] = [{"system": s, "code": c, "display": d} for (s, c, d) in codings]
    if text:
        o["text"] = text
    return o


def cond(id, text=None, codings=None, clinical="active", verification="confirmed", onset=None,
         abatement=None, bodySite=None, note=None, ext=True):
    r = {"resourceType": "Condition", "id": id}
    if ext:
        r["extension"] = copy.deepcopy(NHS_EXT)
    if clinical:
        r["clinicalStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": clinical}]}
    if verification:
        r["verificationStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": verification}]}
    r["category"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "problem-list-item", "display": "Problem List Item"}]}]
    r["code"] = cc(text, codings)
    if bodySite:
        r["bodySite"] = [bodySite if isinstance(bodySite, dict) else {"text": bodySite}]
    r["subject"] = {"reference": "Patient/" + PAT}
    if onset:
        r.update(onset)
    if abatement:
        r.update(abatement)
    r["recordedDate"] = "2025-01-01"
    if note:
        r["note"] = [{"text": note}]
    return r


def proc(id, text=None, codings=None, status="completed", performed=None, bodySite=None, note=None,
         complication=None, statusReason=None, outcome=None, reason=None):
    r = {"resourceType": "Procedure", "id": id, "status": status}
    if statusReason:
        r["statusReason"] = {"text": statusReason}
    r["code"] = cc(text, codings)
    r["subject"] = {"reference": "Patient/" + PAT}
    if performed:
        r.update(performed)
    if bodySite:
        r["bodySite"] = [{"text": bodySite}]
    if reason:
        r["reasonReference"] = [{"reference": "Condition/" + reason}]
    if outcome:
        r["outcome"] = {"text": outcome}
    if complication:
        r["complication"] = [{"text": c} for c in complication]
    if note:
        r["note"] = [{"text": note}]
    return r


def obs(id, text=None, codings=None, status="final", value=None, eff="2026-03-02"):
    r = {"resourceType": "Observation", "id": id, "status": status, "code": cc(text, codings),
         "subject": {"reference": "Patient/" + PAT}, "effectiveDateTime": eff}
    if value:
        r.update(value)
    return r


def vcc(text, code=None):
    v = {"text": text}
    if code:
        v["coding"] = [{"system": LOCAL_CLIN, "code": code, "display": text}]
    return {"valueCodeableConcept": v}


def medstmt(id, text=None, status="active", period=None, ref=None, dosage=None, reason=None, note=None):
    r = {"resourceType": "MedicationStatement", "id": id,
         "meta": {"profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationStatement-1"]},
         "status": status}
    if ref:
        r["medicationReference"] = {"reference": "Medication/" + ref}
    else:
        r["medicationCodeableConcept"] = {"coding": [{"system": LOCAL_CLIN, "code": id.upper(), "display": text}]}
    r["subject"] = {"reference": "Patient/" + PAT}
    if period:
        r["effectivePeriod"] = period
    r["dateAsserted"] = "2025-12-01"
    if reason:
        r["reasonReference"] = [{"reference": "Condition/" + reason}]
    if dosage:
        r["dosage"] = [{"text": dosage}]
    if note:
        r["note"] = [{"text": note}]
    return r


def medreq(id, text, status="active", authored="2025-06-01", dosage=None, reason=None, note=None):
    r = {"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
         "medicationCodeableConcept": {"coding": [{"system": LOCAL_CLIN, "code": id.upper(), "display": text}],
                                       "text": text},
         "subject": {"reference": "Patient/" + PAT}, "authoredOn": authored}
    if reason:
        r["reasonReference"] = [{"reference": "Condition/" + reason}]
    if dosage:
        r["dosageInstruction"] = [{"text": dosage}]
    if note:
        r["note"] = [{"text": note}]
    return r


def medication(id, text):
    return {"resourceType": "Medication", "id": id,
            "code": {"coding": [{"system": LOCAL_CLIN, "code": id.upper(), "display": text}]}}


def outcome(diag, severity="information", code="informational"):
    return {"resourceType": "OperationOutcome", "id": "oo-" + hashlib.md5(diag.encode()).hexdigest()[:8],
            "issue": [{"severity": severity, "code": code, "diagnostics": diag}]}


def bundle(resources, include=(), outcomes=()):
    entries = []
    for r in resources:
        entries.append({"fullUrl": "https://gpconnect.example.nhs.uk/fhir/%s/%s" % (r["resourceType"], r["id"]),
                        "resource": r, "search": {"mode": "match"}})
    for r in include:
        entries.append({"fullUrl": "https://gpconnect.example.nhs.uk/fhir/%s/%s" % (r["resourceType"], r["id"]),
                        "resource": r, "search": {"mode": "include"}})
    for r in outcomes:
        entries.append({"resource": r, "search": {"mode": "outcome"}})
    b = {"resourceType": "Bundle", "type": "searchset", "total": len(resources)}
    if entries:
        b["entry"] = entries
    return b


def sr(id, text, coding=None, reasons=None, reasonRefs=None, note=None, bodySite=None, status="draft"):
    r = {"resourceType": "ServiceRequest", "id": id, "status": status, "intent": "order"}
    if coding:
        r["code"] = cc(text, [coding])
    else:
        r["code"] = cc(text, [(LOCAL_ORD, "ORD-" + id.upper(), text)])
    r["subject"] = {"reference": "Patient/" + PAT}
    r["encounter"] = {"reference": "Encounter/enc-116"}
    r["authoredOn"] = "2026-03-10T09:40:00Z"
    r["requester"] = {"reference": "Practitioner/gp-116"}
    if reasons:
        r["reasonCode"] = reasons
    if reasonRefs:
        r["reasonReference"] = [{"reference": "Condition/" + x} for x in reasonRefs]
    if bodySite:
        r["bodySite"] = [{"text": bodySite}]
    if note:
        r["note"] = [{"text": note}]
    return r


MISSING = object()


def request(orders, hook="order-select", selections=None, conditions=MISSING, procedures=MISSING,
            observations=MISSING, medications=MISSING, fhirServer=True):
    req = {"hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, "h116:" + json.dumps(orders, sort_keys=True) + json.dumps(selections))), "hook": hook}
    if fhirServer:
        req["fhirServer"] = "https://gpconnect.example.nhs.uk/fhir"
    ctx = {"userId": "Practitioner/gp-116", "patientId": PAT, "encounterId": "enc-116"}
    if hook == "order-select":
        ctx["selections"] = selections or ["ServiceRequest/" + orders[0]["id"]]
    ctx["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                          "entry": [{"resource": o} for o in orders]}
    req["context"] = ctx
    pf = {"patient": patient()}
    for k, v in (("conditions", conditions), ("procedures", procedures),
                 ("observations", observations), ("medications", medications)):
        if v is not MISSING:
            pf[k] = v
    req["prefetch"] = pf
    return req


def card(policy, order, indicator, decision, recs, criteria, suggestions):
    return {"indicator": indicator, "policy": policy, "order": "ServiceRequest/" + order,
            "decision": decision, "recommendations": recs, "criteria": criteria,
            "suggestions": suggestions}


def write(base, name, req, description, cards=None, decisions=None, status=200, missing=None,
          systemActions=None):
    d = os.path.join(base, "h116-" + name)
    req["hookInstance"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "h116:" + name))
    os.makedirs(d, exist_ok=True)
    exp = {"description": description + " Expected written from the seed before running.",
           "now": NOW, "status": status}
    if status == 200:
        exp["cards"] = cards or []
        exp["decisions"] = decisions if decisions is not None else [
            {"policy": c["policy"], "order": c["order"], "decision": c["decision"]} for c in (cards or [])]
        if systemActions is not None:
            exp["systemActions"] = systemActions
    if missing:
        exp["missing"] = missing
    with open(os.path.join(d, "request.json"), "w") as f:
        json.dump(req, f, indent=2)
        f.write("\n")
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f, indent=2)
        f.write("\n")
