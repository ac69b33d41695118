from lib import *
import gm, hny
c = cond("c-dis", "Discitis L4/5", clinical=None, onset="2025-08-01")
c["clinicalStatus"] = {"text": "active"}
write("h106-gm070-lumbar-fji-discitis-clinicalstatus-text-only-lowercase-active-contraindicated",
      "Lumbar FJI; Condition 'Discitis L4/5' with clinicalStatus text 'active' and no coding (legacy feed). " + gm.SEED_CI + " An active spinal infection: infection met -> contraindicated.",
      [gm.fji()], [gm.ci(infection="met")], gm.D(d="contraindicated"), conditions=[gm.clbp(), c])
c = cond("c-dis", "Discitis L4/5", clinical=None, onset="2023-08-01")
c["clinicalStatus"] = {"text": "Resolved"}
write("h106-gm070-lumbar-fji-discitis-clinicalstatus-text-only-resolved-2023-mbb",
      "Lumbar FJI; Condition 'Discitis L4/5' (2023) with clinicalStatus text 'Resolved' and no coding. Not active. " + gm.SEED_CI + " infection not met. " + gm.SEED_LUMBAR,
      [gm.fji()], [gm.mbb()], gm.D(), conditions=[gm.clbp(), c])
