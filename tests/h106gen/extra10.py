from lib import *
import hny, nwl
write("h106-hny142-b-observation-bony-landmarks-palpable-valueboolean-false-b-met-commissioned",
      "USGI R knee; clinic template Observation 'Bony landmarks palpable' (right knee) answered valueBoolean false: the landmarks could not be felt. policies.md B: met when 'the failure to identify landmarks is recorded, not negated (... Observation)'. B met; E met -> commissioned, quiet.",
      [hny.usgi()], [], [dec(HNY, "sr-usgi-rk", "commissioned")], conditions=[hny.oa()], procedures=[hny.physio()],
      observations=[obs("o-lm", "Bony landmarks palpable", bodySite={"text": "Right knee"}, valueBoolean=False)])
write("h106-hny142-b-observation-bony-landmarks-palpable-valueboolean-true-b-not-met-warning",
      "USGI R knee; template Observation 'Bony landmarks palpable' (right knee) valueBoolean true: landmarks found. Nothing records a failure. " + hny.SEED_B + " B not met; E met -> not commissioned, landmark-guided injection.",
      [hny.usgi()], [hny.warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")], conditions=[hny.oa()], procedures=[hny.physio()],
      observations=[obs("o-lm", "Bony landmarks palpable", bodySite={"text": "Right knee"}, valueBoolean=True)])
write("h106-nwl-mri-l-spine-urinary-retention-observation-value-no-community-msk",
      "MRI L-spine from a GP; red-flag template Observation 'Urinary retention' valueCodeableConcept text 'No'. Recorded absent. " + nwl.SEED_CES + " caudaEquina not met -> community MSK warning.",
      [nwl.mri_ls()], [nwl.msk_card()], nwl.D(), conditions=[nwl.lbp()],
      observations=[obs("o-ur", "Urinary retention", when="2025-09-15T09:30:00Z", valueCodeableConcept={"text": "No"})])
write("h106-nwl-mri-l-spine-bilateral-leg-pain-observation-value-yes-critical",
      "MRI L-spine from a GP; red-flag template Observation 'Bilateral sciatica' valueCodeableConcept text 'Yes'. policies.md: the GIRFT cluster includes 'bilateral sciatica'. caudaEquina met -> critical.",
      [nwl.mri_ls()], [nwl.crit_card()], nwl.D(), conditions=[nwl.lbp()],
      observations=[obs("o-bs", "Bilateral sciatica", when="2025-09-15T09:30:00Z", valueCodeableConcept={"text": "Yes"})])
