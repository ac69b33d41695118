from lib import *
import hny
write("h106-hny142-b-note-landmarks-palpable-comma-no-effusion-b-not-met-warning",
      "USGI R knee; the order note says 'R knee: landmarks palpable, no effusion, crepitus ++'. Landmarks WERE found; 'no' belongs to the effusion. " + hny.SEED_B + " B not met; E met (physio for the right knee since Jan 2025) -> not commissioned, landmark-guided injection.",
      [dict(hny.usgi(), note=[{"text": "R knee: landmarks palpable, no effusion, crepitus ++"}])], [hny.warn()], [dec(HNY, "sr-usgi-rk", "not-commissioned")],
      conditions=[hny.oa()], procedures=[hny.physio()])
