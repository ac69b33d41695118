import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")]
import os; exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
NWL="nwl-msk-imaging"; GM="gm070-facet-joint-injections"; HNY="hny-142-usgi"
def nwlcrit(ces="not-met",sc="not-met",onc="not-met",lump="not-met"):
    return {"primaryCare":"met","caudaEquina":ces,"suspectedCancer":sc,"underOncology":onc,"softTissueLump":lump}
def nwl(kind, order, **kw):
    ind,rec,sug={"community":("warning",["community-msk-referral"],1),"ces":("critical",["urgent-referral"],0),
             "cancer":("warning",["cancer-pathway"],0),"onc":("warning",["oncology-team"],0)}[kind]
    return [{"indicator":ind,"policy":NWL,"order":"ServiceRequest/"+order,"decision":"redirect","recommendations":rec,"criteria":nwlcrit(**kw),"suggestions":sug}], [{"policy":NWL,"order":"ServiceRequest/"+order,"decision":"redirect"}]
def mri_ls(pid, reason="Low back pain", note=None):
    return sr(pid,"sr-mri",'MRI lumbar spine',[(SCT,"241645008","Magnetic resonance imaging of spine")],reason=reason,note=note)
LBP=lambda pid,cid="c-lbp",onset="2025-08-20": cond(pid,cid,[(SCT,"279039007","Low back pain"),(READ,"N142.","Pain in lumbar spine")],"Low back pain","active","confirmed",onset,episode="new",sig="minor")
S="Seed 003 (NWL MSK imaging v1.2): 'For suspected cauda equina syndrome, this should NOT be managed in primary care and should be urgently/acutely referred onwards'; design: CES named not negated in an ACTIVE Condition, or GIRFT red-flag cluster (back pain/sciatica + saddle sensory loss, or NEW bladder/bowel/sexual dysfunction, or bilateral sciatica). "
C="Seed 003: 'For suspected cancer, please use local cancer referral pathways. If a patient under the care of oncology ... refer the patient back to their oncology team'; otherwise MSK MRI 'not routinely undertaken ... in primary care' -> community MSK referral. "
# ---------- NWL positives
p="h136p01"; cards,dec=nwl("ces","sr-mri",ces="met")
write("h136-nwl-ces-provisional-today-among-44-critical",p,mri_ls(p,"LBP with bladder sx"),
 [LBP(p), cond(p,"c-ces",[(ICD,"G83.4","Cauda equina syndrome")],"?Cauda equina syndrome - saddle numbness, urinary retention","active","provisional","2025-09-30",recorded="2025-09-30",episode="first",sig="major")],nbg=44,
 desc=S+"An active provisional 'Cauda equina syndrome' (ICD-10 G83.4, suspected) recorded yesterday among 44 other problems -> caudaEquina met -> critical urgent referral.",cards=cards,decisions=dec)
p="h136p02"; cards,dec=nwl("ces","sr-mri",ces="met")
write("h136-nwl-saddle-anaesthesia-coded-new-episode-with-sciatica-critical",p,mri_ls(p,"Sciatica"),
 [cond(p,"c-sci",[(SCT,"23056005","Sciatica")],"Sciatica - L leg","active","confirmed","2025-09-01",episode="first"),
  cond(p,"c-saddle",None,"Saddle anaesthesia","active","confirmed","2025-09-28",episode="first",sig="major")],nbg=38,
 desc=S+"Active sciatica plus a new 'Saddle anaesthesia' problem (2025-09-28) -> red-flag cluster -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136p03"; cards,dec=nwl("ces","sr-mri",ces="met")
write("h136-nwl-bilateral-sciatica-local-display-critical",p,mri_ls(p,"back and leg pain"),
 [LBP(p), cond(p,"c-bsci",[(SCT,"23056005","Sciatica")],"Bilateral sciatica - both legs to feet","active","confirmed","2025-09-15",episode="new",sig="major")],nbg=25,
 desc=S+"Sciatica coded 23056005 with local display 'Bilateral sciatica - both legs to feet', active -> bilateral sciatica -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136p04"; cards,dec=nwl("ces","sr-mri",ces="met")
write("h136-nwl-new-urinary-retention-with-lbp-critical",p,mri_ls(p,"LBP"),
 [LBP(p,onset="2025-09-10"), cond(p,"c-ret",[(SCT,"267064002","Retention of urine")],"Urinary retention - new, painless","active","confirmed","2025-09-29",episode="first",sig="major")],nbg=40,gender="male",
 desc=S+"Active back pain plus NEW (2025-09-29, first episode) painless urinary retention -> new bladder dysfunction -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136p05"; cards,dec=nwl("ces","sr-mri",ces="met")
write("h136-nwl-ces-duplicate-gp-resolved-2018-hospital-active-now-critical",p,mri_ls(p,"LBP"),
 [LBP(p), cond(p,"c-ces-old",None,"Cauda equina syndrome","resolved","confirmed","2018-02-01","2018-08-01",sig="major",note="Decompression 2018, full recovery"),
  cond(p,"c-ces-new",[(ICD,"G83.4","Cauda equina syndrome")],"Cauda equina syndrome (A&E)","active","provisional","2025-09-29",cat="encounter-diagnosis",episode="new")],nbg=35,
 desc=S+"Two CES entries: GP 'resolved' 2018 (past) and a hospital A&E entry active/provisional 2025-09-29 (current, new episode) -> the current one counts -> critical.",cards=cards,decisions=dec)
p="h136p06"; cards,dec=nwl("cancer","sr-mri",sc="met")
write("h136-nwl-suspected-bone-mets-provisional-cancer-pathway",p,mri_ls(p,"Thoracolumbar pain, night pain"),
 [LBP(p), cond(p,"c-sus",None,"Suspected secondary malignant neoplasm of bone","active","provisional","2025-09-25",episode="first",sig="major")],nbg=33,
 desc=C+"'Suspected secondary malignant neoplasm of bone' active/provisional -> suspectedCancer met -> cancer pathway warning.",cards=cards,decisions=dec)
p="h136p07"; cards,dec=nwl("onc","sr-mri",onc="met")
write("h136-nwl-active-breast-ca-on-letrozole-oncology-team",p,mri_ls(p,"Back pain"),
 [LBP(p), cond(p,"c-bca",[(SCT,"254837009","Malignant neoplasm of breast"),(ICD,"C50.9","Malignant neoplasm of breast, unspecified")],"Ca breast L","active","confirmed","2023-05-01",sig="major")],
 meds=[med(p,"m-letro","Letrozole 2.5mg tablets","ONE daily","active","2023-09-01",reason="Breast cancer")],nbg=42,
 desc=C+"Active breast cancer (2023) and active letrozole (endocrine therapy) -> under oncology met -> refer back to oncology team (warning).",cards=cards,decisions=dec)
# ---------- NWL negatives
p="h136n01"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-ces-resolved-2014-decompressed-not-critical-community",p,mri_ls(p,"Mechanical LBP"),
 [LBP(p), cond(p,"c-ces",[(ICD,"G83.4","Cauda equina syndrome")],"Cauda equina syndrome","resolved","confirmed","2014-03-02","2014-09-01",sig="major",note="L4/5 microdiscectomy + decompression 2014. Residual mild L foot numbness only."),
  ],procs=[proc(p,"p-decomp","Decompression of lumbar spine L4/5","completed","2014-03-03")],nbg=40,
 desc=S+"CES resolved (2014, decompressed), not active; current mechanical LBP without red flags -> caudaEquina not met -> community MSK warning, NOT critical.",cards=cards,decisions=dec)
p="h136n02"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-ces-refuted-active-status-not-critical-community",p,mri_ls(p,"LBP"),
 [LBP(p,onset="2025-06-01"), cond(p,"c-ces",[(ICD,"G83.4","Cauda equina syndrome")],"Cauda equina syndrome","active","refuted","2025-06-10",recorded="2025-06-10",note="Urgent MRI 11/6/25: no cord or cauda compression. CES excluded.")],nbg=30,
 desc=S+"CES entry verificationStatus refuted (MRI excluded it) even though its clinicalStatus was left 'active' by the export -> refuted is not a suspicion -> caudaEquina not met -> community MSK warning, NOT critical.",cards=cards,decisions=dec)
p="h136n03"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-ces-entered-in-error-not-critical-community",p,mri_ls(p,"LBP"),
 [LBP(p), cond(p,"c-ces",[(ICD,"G83.4","Cauda equina syndrome")],"Cauda equina syndrome",None,"entered-in-error","2025-09-01",note="Wrong patient")],nbg=30,
 desc=S+"CES entry entered-in-error (no clinical status) -> not evidence -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136n04"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-stress-incontinence-since-2009-with-lbp-not-new-community",p,mri_ls(p,"LBP"),
 [LBP(p), cond(p,"c-si",[(SCT,"22143003","Stress incontinence")],"Stress incontinence","active","confirmed","2009-05-01",sig="minor",note="Post-natal. Pelvic floor physio.")],nbg=36,
 desc=S+"Long-standing stress incontinence since 2009 (post-natal) is not NEW bladder dysfunction -> no CES cluster -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136n05"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-erectile-dysfunction-2015-on-sildenafil-not-new-community",p,mri_ls(p,"Chronic LBP"),
 [LBP(p,onset="2024-01-10"), cond(p,"c-ed",[(SCT,"397803000","Impotence")],"Erectile dysfunction","active","confirmed","2015-02-01",sig="minor")],
 meds=[med(p,"m-sil","Sildenafil 50mg tablets","ONE when required","active","2015-02-10")],nbg=32,gender="male",
 desc=S+"Erectile dysfunction since 2015 (on sildenafil) is not NEW sexual dysfunction -> no CES cluster -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136n06"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-sciatica-resolved-2014-bilateral-now-lbp-only-community",p,mri_ls(p,"LBP"),
 [LBP(p), cond(p,"c-bsci",[(SCT,"23056005","Sciatica")],"Bilateral sciatica","resolved","confirmed","2014-01-01","2014-06-01")],nbg=30,
 desc=S+"Bilateral sciatica resolved in 2014 (past episode); current LBP only -> no current red flag -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136n07"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-breast-ca-2008-resolved-discharged-community",p,mri_ls(p,"Mechanical LBP"),
 [LBP(p), cond(p,"c-bca",[(SCT,"254837009","Malignant neoplasm of breast")],"H/O: breast cancer","resolved","confirmed","2008-03-01","2013-03-01",sig="major",note="WLE + RT 2008. Tamoxifen 5y. Discharged from oncology 2018.")],
 meds=[med(p,"m-tam","Tamoxifen 20mg tablets","ONE daily","completed","2008-06-01")],nbg=36,
 desc=C+"Breast cancer resolved (2008, discharged 2018), tamoxifen completed -> not suspected, not active, not under oncology -> community MSK warning.",cards=cards,decisions=dec)
p="h136n08"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-myeloma-query-refuted-community",p,mri_ls(p,"LBP"),
 [LBP(p), cond(p,"c-mye",None,"?Multiple myeloma","inactive","refuted","2025-07-01",note="Serum electrophoresis normal, no paraprotein. Not myeloma.")],nbg=30,
 desc=C+"'?Multiple myeloma' with verificationStatus refuted (paraprotein negative) -> not a suspicion now -> community MSK warning.",cards=cards,decisions=dec)
p="h136n09"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-lipoma-back-excised-2010-lbp-community",p,mri_ls(p,"LBP"),
 [LBP(p), cond(p,"c-lip",[(SCT,"93163002","Lipoma")],"Lipoma of back - excised","resolved","confirmed","2009-11-01","2010-02-01")],nbg=30,
 desc="Seed 003 NB soft-tissue lumps (separate guidance); design: lump is the reason for imaging or at the imaged site. An excised (resolved 2010) back lipoma is not a current lump -> softTissueLump not met -> community MSK warning.",cards=cards,decisions=dec)
p="h136n10"; order=sr(p,"sr-mri","MRI right knee",[(SCT,"241641004","Magnetic resonance imaging of knee")],reason="R knee pain ?meniscal tear"); cards,dec=nwl("community","sr-mri")
write("h136-nwl-mri-knee-60-problems-nothing-relevant-community",p,order,[cond(p,"c-knee",None,"Knee pain - right","active","confirmed","2025-07-01",episode="first")],nbg=60,
 desc=C+"MRI knee from primary care, 60-problem record with only stale infections/resolved items -> community MSK warning, no critical card.",cards=cards,decisions=dec)
p="h136n11"; cards,dec=nwl("community","sr-mri")
write("h136-nwl-lbp-note-ed-2019-ces-excluded-not-critical",p,mri_ls(p,"LBP"),
 [cond(p,"c-lbp",[(SCT,"279039007","Low back pain")],"Low back pain","active","confirmed","2019-04-01",episode="review",note="A&E Apr 2019 with ?CES - MRI normal, CES excluded. Now ongoing mechanical LBP, no red flags.")],nbg=30,
 desc=S+"Problem note: a 2019 ?CES was excluded by MRI and 'no red flags' now -> negated/historical -> community MSK warning, not critical.",cards=cards,decisions=dec)
