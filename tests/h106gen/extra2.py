from lib import *
import gm
write("h106-gm070-si-faber-valueboolean-false-compression-valueboolean-true-prior-approval",
      "Image-guided SI joint injection; physio failed; two separate Observations from the MSK template: 'FABER test' valueBoolean false and 'SIJ compression test' valueBoolean true. policies.md: 'an SI provocation test recorded positive ... a negative test ... does not undo it'. provocationPositive met -> prior approval (info).",
      [gm.sij()], [gm.pa(prov="met")], gm.D("sr-sij", "prior-approval-required"), conditions=[gm.sijpain()], procedures=[gm.physio_si()],
      observations=[obs("o-faber", "FABER test", valueBoolean=False), obs("o-comp", "SIJ compression test", valueBoolean=True)])
