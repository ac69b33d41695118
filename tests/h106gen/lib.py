# Builders for the h106 decision cases (FHIR R4 structure and status semantics).
import json, os, uuid
NOW = "2025-09-15T12:00:00Z"
BASE = "https://gp.example.nhs.uk/fhir"
SCT = "http://snomed.info/sct"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DAR = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
OUT = os.path.join(os.path.dirname(__file__), "..", "vectors")
PID = "pat-h106"

def cc(text=None, codings=()):
    c = {}
    if codings:
        c["coding"] = [{"system": s, "code": k, "display": d} if d else {"system": s, "code": k}
                       for (s, k, d) in codings]
    if text is not None:
        c["text"] = text
    return c

def patient(pid=PID):
    return {"resourceType": "Patient", "id": pid,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
            "name": [{"use": "official", "family": "Testpatient", "given": ["Sam"]}],
            "gender": "female", "birthDate": "1961-06-02"}

def cond(id, text=None, codings=(), clinical="active", ver="confirmed", onset="2023-05-01",
         category="problem-list-item", **extra):
    r = {"resourceType": "Condition", "id": id}
    if clinical:
        r["clinicalStatus"] = {"coding": [{"system": CLIN, "code": clinical}]}
    if ver:
        r["verificationStatus"] = {"coding": [{"system": VER, "code": ver}]}
    if category:
        r["category"] = [{"coding": [{"system": CAT, "code": category}]}]
    r["code"] = cc(text, codings)
    r["subject"] = {"reference": "Patient/" + PID}
    if onset:
        r["onsetDateTime"] = onset
    r["recordedDate"] = extra.pop("recordedDate", onset or "2025-09-01")
    r.update(extra)
    return r

def proc(id, text, status="completed", when="2025-01-10", **extra):
    r = {"resourceType": "Procedure", "id": id, "status": status, "code": {"text": text},
         "subject": {"reference": "Patient/" + PID}}
    if isinstance(when, dict):
        r["performedPeriod"] = when
    elif when:
        r["performedDateTime"] = when
    r.update(extra)
    return r

def obs(id, text, status="final", when="2025-09-01", codings=(), **extra):
    r = {"resourceType": "Observation", "id": id, "status": status, "code": cc(text, codings),
         "subject": {"reference": "Patient/" + PID}}
    if isinstance(when, dict):
        r["effectivePeriod"] = when
    elif when:
        r["effectiveDateTime"] = when
    r.update(extra)
    return r

def bmi(id, value, when="2025-09-01", **extra):
    return obs(id, "Body mass index", when=when,
               valueQuantity={"value": value, "unit": "kg/m2", "system": "http://unitsofmeasure.org",
                              "code": "kg/m2"}, **extra)

def medreq(id, text, status="active", intent="order", authored="2025-01-05", **extra):
    r = {"resourceType": "MedicationRequest", "id": id, "status": status, "intent": intent,
         "medicationCodeableConcept": {"text": text}, "subject": {"reference": "Patient/" + PID},
         "authoredOn": authored}
    r.update(extra)
    return r

def medstmt(id, text, status="active", **extra):
    r = {"resourceType": "MedicationStatement", "id": id, "status": status,
         "medicationCodeableConcept": {"text": text}, "subject": {"reference": "Patient/" + PID}}
    r.update(extra)
    return r

def sr(id, text=None, codings=(), reason=None, status="draft", intent="order", **extra):
    r = {"resourceType": "ServiceRequest", "id": id, "status": status, "intent": intent,
         "code": cc(text, codings), "subject": {"reference": "Patient/" + PID},
         "authoredOn": "2025-09-15T10:10:00Z", "requester": {"reference": "Practitioner/gp-h106"}}
    if reason:
        r["reasonCode"] = [{"text": reason}]
    r.update(extra)
    return r

def bundle(resources, modes=None):
    entries = []
    for i, r in enumerate(resources):
        e = {"fullUrl": BASE + "/" + r["resourceType"] + "/" + r["id"], "resource": r,
             "search": {"mode": (modes[i] if modes else ("outcome" if r["resourceType"] == "OperationOutcome" else "match"))}}
        entries.append(e)
    return {"resourceType": "Bundle", "type": "searchset",
            "total": sum(1 for e in entries if e["search"]["mode"] == "match"), "entry": entries}

def write(name, description, orders, expected_cards, decisions, conditions=(), procedures=(),
          observations=(), medications=(), hook="order-sign", selections=None, system_actions=None,
          prefetch_override=None):
    assert name.startswith("h106-")
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    ctx = {"userId": "Practitioner/gp-h106", "patientId": PID,
           "draftOrders": {"resourceType": "Bundle", "type": "collection",
                           "entry": [{"resource": o} for o in orders]}}
    if hook == "order-select":
        ctx["selections"] = selections or ["ServiceRequest/" + orders[0]["id"]]
    pf = {"patient": patient(),
          "conditions": conditions if isinstance(conditions, dict) else bundle(list(conditions)),
          "procedures": procedures if isinstance(procedures, dict) else bundle(list(procedures)),
          "observations": observations if isinstance(observations, dict) else bundle(list(observations)),
          "medications": medications if isinstance(medications, dict) else bundle(list(medications))}
    if prefetch_override:
        pf.update(prefetch_override)
    req = {"hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, "h106/" + name)), "hook": hook,
           "fhirServer": BASE, "context": ctx, "prefetch": pf}
    exp = {"description": description + " Expected written from the seed before running.",
           "now": NOW, "status": 200, "cards": expected_cards, "decisions": decisions}
    if hook == "order-sign":
        exp["systemActions"] = system_actions if system_actions is not None else len(decisions)
    json.dump(req, open(os.path.join(d, "request.json"), "w"), indent=1, ensure_ascii=False)
    json.dump(exp, open(os.path.join(d, "expected.json"), "w"), indent=1, ensure_ascii=False)

def card(indicator, policy, order, decision, recs, criteria):
    c = {"indicator": indicator, "policy": policy, "order": "ServiceRequest/" + order,
         "decision": decision, "recommendations": recs, "criteria": criteria}
    # suggestion counts of each card kind (policies.md Cards; existing cases)
    if indicator == "warning" and policy == "hny-142-usgi":
        c["suggestions"] = 1
    elif recs == ["community-msk-referral"]:
        c["suggestions"] = 1
    elif policy == "gm070-facet-joint-injections" and decision != "criteria-unknown":
        c["suggestions"] = 2 if recs == ["medial-branch-block", "ifr"] else 1
    return c

def dec(policy, order, decision):
    return {"policy": policy, "order": "ServiceRequest/" + order, "decision": decision}

HNY, NWL, GM = "hny-142-usgi", "nwl-msk-imaging", "gm070-facet-joint-injections"
