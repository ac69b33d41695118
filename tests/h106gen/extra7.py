from lib import *
import nwl
o = sr("sr-us-rs", "Ultrasound of shoulder region", [(SCT, "303922008", "Ultrasound of shoulder region")], reason="R shoulder pain 4/12")
write("h106-nwl-order-select-selections-name-same-us-shoulder-twice-one-card",
      "order-select whose context.selections names ServiceRequest/sr-us-rs twice (the client added the selection again on re-select). One order: at most one card per policy and order (policies.md). " + nwl.SEED_MSK + " One community MSK warning, one decision.",
      [o], [card("warning", NWL, "sr-us-rs", "redirect", ["community-msk-referral"], nwl.crit())], [dec(NWL, "sr-us-rs", "redirect")],
      hook="order-select", selections=["ServiceRequest/sr-us-rs", "ServiceRequest/sr-us-rs"],
      conditions=[cond("c-sp", "Right shoulder pain", onset="2025-05-10")])
