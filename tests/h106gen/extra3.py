from lib import *
import hny
b_old = bmi("o-bmi-2024", 31.4, when="2024-11-20")
b_new = obs("o-bmi-2025", "BMI", when="2025-08-28", dataAbsentReason={"coding": [{"system": DAR, "code": "not-performed"}]},
            note=[{"text": "Unable to weigh - wheelchair user, no hoist scales in surgery"}])
write("h106-hny142-b-latest-bmi-not-performed-wheelchair-older-bmi-31-b-unknown-info",
      "USGI R knee; BMI 31.4 kg/m2 (Nov 2024) and a later 'BMI' Observation with no value, dataAbsentReason not-performed ('Unable to weigh - wheelchair user'). The last recorded BMI is 31.4. " + hny.SEED_B + " B unknown; E met -> criteria unknown, info.",
      [hny.usgi()], [hny.info(B="unknown")], [dec(HNY, "sr-usgi-rk", "criteria-unknown")],
      conditions=[hny.oa()], procedures=[hny.physio()], observations=[b_old, b_new])
b_old = bmi("o-bmi-2024", 26.2, when="2024-11-20")
b_new = obs("o-bmi-2025", "Body mass index", when="2025-08-28", dataAbsentReason={"coding": [{"system": DAR, "code": "asked-declined"}]})
write("h106-hny142-b-latest-bmi-declined-older-bmi-26-b-not-met-warning",
      "USGI R knee; BMI 26.2 kg/m2 (Nov 2024) and a later BMI Observation with no value (dataAbsentReason asked-declined). The last recorded BMI is below 30 and no obesity Condition. " + hny.SEED_B + " B not met; E met -> not commissioned, landmark-guided injection.",
      [hny.usgi()], [hny.warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[hny.oa()], procedures=[hny.physio()], observations=[b_old, b_new])
