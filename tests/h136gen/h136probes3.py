# H136 Phase 2, third sweep: HNY 142 E (treatment of that problem, response), NWL per-side sciatica and refuted red flags, oncology care.
import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
src=open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136probes.py")).read()
exec(src[src.index("NWL="):src.index("# ---- second cases")])
exec(src[src.index('H="Seed 000'):src.index('p="h136q25"')])
SIS="Seed 004 SI: 'If conservative management has failed and sacroiliac joint pain is elicited using a provocation test, consider image guided sacroiliac joint injection'; 'evidence of the result of the provocation test OR evidence of degenerative sacroiliitis'; design: an active Condition of sacroiliitis. "
def knee_usgi(p): return sr(p,"sr-us","Ultrasound guided injection right knee joint",reason="OA right knee")
OAR=lambda p,onset="2023-03-01": cond(p,"c-oa",[(SCT,"239873007","Osteoarthritis of knee")],"OA knee - right","active","confirmed",onset,site="Right knee")
p="h136t01"; cards,dec=hnc(E="unknown")
write("h136-hny142-usgi-r-knee-physio-was-left-knee-naproxen-for-gout-e-unknown-landmark",p,knee_usgi(p),[OAR(p)],
 procs=[proc(p,"p-ph","Physiotherapy - left knee","completed","2024-05-01",site="Left knee",outcome="No improvement")],
 meds=[med(p,"m-nap","Naproxen 500mg tablets","ONE twice a day","active","2024-02-01",reason="Acute gout R 1st MTPJ")],nbg=40,
 desc=H+"Design E: conservative treatment OF THAT PROBLEM. Physio was for the LEFT knee and naproxen for gout of the foot; OA R knee since 2023 -> E unknown (no treatment of that problem recorded); A-D not met -> not commissioned (landmark warning) with E unknown.",cards=cards,decisions=dec)
p="h136t02"; cards,dec=hnc(A="met",E="not-met")
write("h136-hny142-usgi-r-knee-old-fracture-but-oa-began-6-weeks-ago-e-not-met",p,knee_usgi(p),
 [OAR(p,"2025-08-20"),cond(p,"c-fx",None,"Fracture of right tibial plateau - ORIF","resolved","confirmed","2009-06-01","2010-01-01",site="Right knee")],
 procs=[proc(p,"p-ph","Physiotherapy - right knee","in-progress","2025-09-01",site="Right knee")],nbg=40,
 desc=H+"A met (old tibial plateau fracture), but the OA problem began 2025-08-20 (< 3 months) -> E not met ('not met when the problem began < 3 months ago') -> not commissioned.",cards=cards,decisions=dec)
p="h136t03"; cards,dec=hnc(Cc="met",E="not-met")
write("h136-hny142-usgi-r-knee-two-landmark-no-relief-but-physio-good-response-e-not-met",p,knee_usgi(p),[OAR(p)],
 procs=[proc(p,"p-lg1","Landmark guided injection right knee (Kenalog 40mg)","completed","2024-03-01",site="Right knee",outcome="No relief"),
        proc(p,"p-lg2","Landmark guided injection right knee (Kenalog 40mg)","completed","2024-09-01",site="Right knee",outcome="No relief"),
        proc(p,"p-ph","Physiotherapy - right knee, 6 sessions","completed","2025-02-01",site="Right knee",outcome="Good response - pain much improved, discharged")],nbg=40,
 desc=H+"C met (two landmark injections, no relief) but physiotherapy recorded a good response -> E not met -> not commissioned (landmark warning).",cards=cards,decisions=dec)
p="h136t04"; cards,dec=nwl("onc",onc="met")
write("h136-nwl-prostate-ca-gp-and-hospital-duplicate-zoladex-oncology-team",p,mri_ls(p,"Back pain"),
 [LBP(p),cond(p,"c-pca",[(SCT,"399068003","Malignant tumor of prostate")],"Ca prostate","active","confirmed","2022-04-01",sig="major"),
  cond(p,"c-pca2",[(ICD,"C61","Malignant neoplasm of prostate")],"Malignant neoplasm of prostate (urology discharge)","active","confirmed","2022-04-10",cat="encounter-diagnosis")],
 meds=[med(p,"m-zol","Zoladex LA 10.8mg implant","ONE every 12 weeks","active","2022-05-01",reason="Prostate cancer")],nbg=40,gender="male",
 desc=C+"Active prostate cancer (GP and hospital entries) on goserelin (Zoladex, endocrine anticancer therapy) -> under oncology met -> refer back to the oncology team (warning).",cards=cards,decisions=dec)
p="h136t05"; cards,dec=nwl("community")
write("h136-nwl-ces-text-ruled-out-on-mri-confirmed-status-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-ces",None,"Cauda equina syndrome - ruled out on MRI","active","confirmed","2025-07-01")],nbg=40,
 desc=S+"'Cauda equina syndrome - ruled out on MRI' (the text negates it, whatever the status) -> caudaEquina not met -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136t06"; cards,dec=nwl("community")
write("h136-nwl-saddle-anaesthesia-refuted-recent-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-sa",None,"Saddle anaesthesia","active","refuted","2025-09-20",note="Examined: perianal sensation intact, PR normal tone")],nbg=40,
 desc=S+"'Saddle anaesthesia' recorded 2025-09-20 but refuted on examination (perianal sensation intact) -> not a red flag -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136t07"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-sciatica-left-and-right-two-problems-bilateral-critical",p,mri_ls(p,"Back and leg pain"),
 [LBP(p),cond(p,"c-scl",[(SCT,"23056005","Sciatica")],"Sciatica","active","confirmed","2025-08-25",site="Left lower limb"),
  cond(p,"c-scr",[(SCT,"23056005","Sciatica")],"Sciatica","active","confirmed","2025-09-27",site="Right lower limb",episode="new")],nbg=40,
 desc=S+"Two active Sciatica problems, bodySite left lower limb (Aug) and right lower limb (new, Sep) -> bilateral sciatica -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136t08"; cards,dec=nwl("community")
write("h136-nwl-sciatica-left-resolved-2019-right-active-not-bilateral-community",p,mri_ls(p,"Back and leg pain"),
 [LBP(p),cond(p,"c-scl",[(SCT,"23056005","Sciatica")],"Sciatica","resolved","confirmed","2019-01-10","2019-05-01",site="Left lower limb"),
  cond(p,"c-scr",[(SCT,"23056005","Sciatica")],"Sciatica","active","confirmed","2025-09-10",site="Right lower limb")],nbg=40,
 desc=S+"Left sciatica resolved in 2019, right sciatica active now -> not bilateral now -> community MSK warning, not critical.",cards=cards,decisions=dec)
def si(kind, cons="met", prov="not-met", sac="not-met"):
    crit={"excluded":"not-met","conservativeFailed":cons,"provocationPositive":prov,"sacroiliitis":sac}
    c={"pa":("info","prior-approval-required",["prior-approval"],1),"nc":("warning","not-commissioned",["ifr"],1)}[kind]
    return [{"indicator":c[0],"policy":GM,"order":"ServiceRequest/sr-si","decision":c[1],"recommendations":c[2],"criteria":crit,"suggestions":c[3]}],[{"policy":GM,"order":"ServiceRequest/sr-si","decision":c[1]}]
p="h136t09"; cards,dec=si("pa",sac="met")
write("h136-gm070-si-ankylosing-spondylitis-bilateral-sacroiliitis-prior-approval",p,sr(p,"sr-si","Image guided SI joint injection - right",site="Right sacroiliac joint",reason="R SIJ pain"),
 [cond(p,"c-sij",[(SCT,"202487003","Sacroiliac joint pain")],"Sacroiliac joint pain - right","active","confirmed","2024-03-01",site="Right sacroiliac joint"),
  cond(p,"c-as",None,"Sacroiliitis, bilateral (MRI) - axial spondyloarthritis","active","confirmed","2023-11-01",sig="major")],
 procs=[proc(p,"p-ph","Physiotherapy - back/SIJ, 8 sessions","completed","2024-06-01",site="Right sacroiliac joint",outcome="No improvement")],
 meds=[med(p,"m-nap","Naproxen 500mg tablets","ONE twice a day","active","2024-03-10",reason="R SIJ pain")],nbg=40,
 desc=SIS+"Active bilateral sacroiliitis on MRI and failed physio/NSAID -> sacroiliitis and conservativeFailed met -> prior approval required (info).",cards=cards,decisions=dec)
# second cases for the per-side sciatica fixes (bodySite across two problems; "Sciatica - left" titles)
p="h136t10"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-sciatica-dash-l-and-dash-r-titles-recent-bilateral-critical",p,mri_ls(p,"LBP and leg pain"),
 [LBP(p),cond(p,"c-scl",[(SCT,"23056005","Sciatica")],"Sciatica - L","active","confirmed","2025-08-01"),
  cond(p,"c-scr",[(SCT,"23056005","Sciatica")],"Sciatica - R","active","confirmed","2025-09-25",episode="new")],nbg=45,
 desc=S+"Two active problem titles 'Sciatica - L' (Aug) and 'Sciatica - R' (new, Sep), no bodySite -> sciatica in each leg -> bilateral -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136t11"; cards,dec=nwl("community")
write("h136-nwl-sciatica-dash-left-active-dash-right-resolved-2018-community",p,mri_ls(p,"LBP and leg pain"),
 [LBP(p),cond(p,"c-scl",[(SCT,"23056005","Sciatica")],"Sciatica - left","active","confirmed","2025-08-01"),
  cond(p,"c-scr",[(SCT,"23056005","Sciatica")],"Sciatica - right","resolved","confirmed","2018-01-01","2018-04-01")],nbg=45,
 desc=S+"'Sciatica - left' active now, 'Sciatica - right' resolved in 2018 -> one leg now -> not bilateral -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136t12"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-sciatica-bodysite-left-leg-and-r-sciatica-title-critical",p,mri_ls(p,"LBP and leg pain"),
 [LBP(p),cond(p,"c-scl",[(SCT,"23056005","Sciatica")],"Sciatica","active","confirmed","2025-08-15",site="Left leg"),
  cond(p,"c-scr",None,"R sciatica","active","confirmed","2025-09-26")],nbg=40,
 desc=S+"Active sciatica with bodySite 'Left leg' and a new 'R sciatica' problem -> a leg each -> bilateral -> caudaEquina met -> critical.",cards=cards,decisions=dec)
