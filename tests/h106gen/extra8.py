from lib import *
import gm
write("h106-gm070-si-thigh-thrust-data-absent-unknown-result-not-documented-unknown-info",
      "Image-guided SI joint injection; physio failed; Observation 'Thigh thrust test' with no value, dataAbsentReason unknown ('Result not documented'): the test was done but its result cannot be read. policies.md provocationPositive: unknown when 'a provocation test recorded without a readable result'. No sacroiliitis -> criteria unknown (info, document criteria).",
      [gm.sij()], [card("info", GM, "sr-sij", "criteria-unknown", ["document-criteria"], gm.si(prov="unknown"))], gm.D("sr-sij", "criteria-unknown"),
      conditions=[gm.sijpain()], procedures=[gm.physio_si()],
      observations=[obs("o-tt", "Thigh thrust test", dataAbsentReason={"coding": [{"system": DAR, "code": "unknown"}], "text": "Result not documented"})])
write("h106-gm070-si-faber-not-asked-gaenslen-positive-prior-approval",
      "Image-guided SI joint injection; physio failed; template Observations 'FABER test' (no value, dataAbsentReason not-performed) and 'Gaenslen's test' valueString 'Positive - reproduced R buttock pain'. One test recorded positive. " + gm.SEED_SI + " provocationPositive met -> prior approval (info).",
      [gm.sij()], [gm.pa(prov="met")], gm.D("sr-sij", "prior-approval-required"), conditions=[gm.sijpain()], procedures=[gm.physio_si()],
      observations=[obs("o-faber", "FABER test", dataAbsentReason={"coding": [{"system": DAR, "code": "not-performed"}]}),
                    obs("o-gaen", "Gaenslen's test", valueString="Positive - reproduced R buttock pain")])
