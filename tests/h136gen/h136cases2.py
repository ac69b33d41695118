# The case h136-hny142-usgi-r-knee-grade1-mcl-sprain-... was moved to tests/known-gaps after its first run (see tests/known-gaps/README.md).
import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")]
import os; exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
GM="gm070-facet-joint-injections"; HNY="hny-142-usgi"
G="Seed 004 (GM070 v3.1): lumbar FJI 'no longer commissioned - medial branch block is the diagnostic tool of choice', IFR for exceptionality; NOTE 'should not be requested if ... evidence of a local or systemic infection ... substantial therapeutic or constitutional anticoagulation ... unwilling'. Design: active infection; warfarin/DOAC/treatment-dose heparin active or intended, or Z92.1; haemophilia/vWD. "
def fji(kind, order="sr-fji", region="lumbar", inf="not-met", ac="not-met", unw="not-met"):
    crit={"excluded":"not-met","region":"met","infection":inf,"anticoagulation":ac,"unwilling":unw}
    if kind=="ci":
        rec=["do-not-request"]+(["medial-branch-block","ifr"] if region=="lumbar" else ["ifr"]); c={"indicator":"warning","decision":"contraindicated","recommendations":rec,"suggestions":1}
    else:
        rec=["medial-branch-block","ifr"] if region=="lumbar" else ["ifr"]; c={"indicator":"warning","decision":"not-commissioned","recommendations":rec,"suggestions":2 if region=="lumbar" else 1}
    c.update({"policy":GM,"order":"ServiceRequest/"+order,"criteria":crit})
    return [c],[{"policy":GM,"order":"ServiceRequest/"+order,"decision":c["decision"]}]
def lfji(p, reason="Chronic LBP - facet arthropathy"): return sr(p,"sr-fji","Lumbar facet joint injection L4/5 L5/S1 bilateral",reason=reason)
def cfji(p): return sr(p,"sr-fji","Cervical facet joint injection C5/6 right",reason="Cervical spondylosis")
FACET=lambda p: cond(p,"c-facet",[(SCT,"428671008","Arthropathy of lumbar facet joint")],"Lumbar facet joint arthropathy","active","confirmed","2023-02-01",sig="minor")
# contraindication positives
p="h136g01"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-apixaban-active-among-meds-contraindicated",p,lfji(p),[FACET(p),cond(p,"c-af",[(SCT,"49436004","Atrial fibrillation")],"Atrial fibrillation","active","confirmed","2021-03-01",sig="major")],
 meds=[med(p,"m-apx","Apixaban 5mg tablets","ONE twice a day","active","2021-03-05",reason="AF")],nbg=45,
 desc=G+"Active apixaban 5 mg BD (DOAC) among 11 medicines -> anticoagulation met -> contraindicated.",cards=cards,decisions=dec)
p="h136g02"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-warfarin-medicationstatement-active-contraindicated",p,lfji(p),[FACET(p),cond(p,"c-mv",None,"Mechanical mitral valve replacement","active","confirmed","2017-01-01",sig="major")],
 meds=[med(p,"ms-warf","Warfarin sodium 1mg tablets","As directed by anticoagulant clinic, INR 2.5-3.5","active","2017-01-20",rtype="MedicationStatement")],nbg=30,
 desc=G+"Warfarin for a mechanical valve exported as an active MedicationStatement (GP Connect) -> substantial therapeutic anticoagulation met -> contraindicated.",cards=cards,decisions=dec)
p="h136g03"; cards,dec=fji("ci",inf="met")
write("h136-gm070-lumbar-fji-discitis-hospital-icd10-active-contraindicated",p,lfji(p),[FACET(p),cond(p,"c-disc",[(ICD,"M46.4","Discitis, unspecified")],"Discitis L3/4 (discharge summary)","active","confirmed","2025-09-12",cat="encounter-diagnosis",episode="first")],
 meds=[med(p,"m-abx","Flucloxacillin 1g capsules","ONE four times a day","active","2025-09-20",reason="Discitis")],nbg=40,
 desc=G+"Discitis (ICD-10 M46.4, hospital discharge 2025-09-12) active, on antibiotics -> local/systemic infection met -> contraindicated.",cards=cards,decisions=dec)
p="h136g04"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-von-willebrand-constitutional-contraindicated",p,lfji(p),[FACET(p),cond(p,"c-vwd",[(ICD,"D68.0","Von Willebrand disease")],"Von Willebrand's disease type 1","active","confirmed","1990-01-01",sig="major")],nbg=28,
 desc=G+"Von Willebrand disease (inherited bleeding disorder), active since 1990 -> constitutional anticoagulation met -> contraindicated.",cards=cards,decisions=dec)
p="h136g05"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-rivaroxaban-on-hold-intended-contraindicated",p,lfji(p),[FACET(p),cond(p,"c-pe",None,"Recurrent pulmonary embolism - lifelong anticoagulation","active","confirmed","2020-04-01",sig="major")],
 meds=[med(p,"m-riv","Rivaroxaban 20mg tablets","ONE daily with food","on-hold","2020-04-10",reason="Recurrent PE")],nbg=33,
 desc=G+"Rivaroxaban 20 mg OD (lifelong for recurrent PE) on-hold: anticoagulation still intended -> met -> contraindicated.",cards=cards,decisions=dec)
p="h136g06"; cards,dec=fji("ci",region="cervical",inf="met")
write("h136-gm070-cervical-fji-septicaemia-current-contraindicated",p,cfji(p),[cond(p,"c-cs",[(SCT,"387800004","Cervical spondylosis")],"Cervical spondylosis","active","confirmed","2022-01-01"),
  cond(p,"c-sep",None,"Sepsis - source unknown, IV abx","active","confirmed","2025-09-27",episode="first",sig="major",cat="encounter-diagnosis")],nbg=38,
 desc=G+"Sepsis active since 2025-09-27 (hospital) -> systemic infection met -> cervical FJI contraindicated (IFR still listed).",cards=cards,decisions=dec)
# negatives: stale / refuted contraindications
p="h136g07"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-warfarin-stopped-2019-dvt-resolved-mbb",p,lfji(p),[FACET(p),cond(p,"c-dvt",None,"DVT left calf","resolved","confirmed","2019-01-10","2019-07-10")],
 meds=[med(p,"m-warf","Warfarin sodium 3mg tablets","As directed","stopped","2019-01-12",reason="DVT")],nbg=42,
 desc=G+"Warfarin stopped in 2019 after a resolved DVT -> not current -> anticoagulation not met -> lumbar FJI not commissioned (MBB + IFR), no contraindication.",cards=cards,decisions=dec)
p="h136g08"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-z921-inactive-2018-no-current-anticoag-mbb",p,lfji(p),[FACET(p),cond(p,"c-z921",[(ICD,"Z92.1","Personal history of long-term (current) use of anticoagulants")],"Long term anticoagulant use","inactive","confirmed","2016-01-01","2018-02-01",cat="encounter-diagnosis")],
 meds=[med(p,"m-edx","Edoxaban 60mg tablets","ONE daily","stopped","2016-01-05")],nbg=35,
 desc=G+"Z92.1 long-term anticoagulant use recorded INACTIVE (abated 2018), edoxaban stopped -> no current anticoagulation -> not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136g09"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-discitis-2015-resolved-mbb",p,lfji(p),[FACET(p),cond(p,"c-disc",[(ICD,"M46.4","Discitis, unspecified")],"Discitis L4/5","resolved","confirmed","2015-02-01","2015-06-01",sig="major")],nbg=40,
 desc=G+"Discitis resolved 2015 -> no current infection -> infection not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136g10"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-vertebral-osteomyelitis-entered-in-error-mbb",p,lfji(p),[FACET(p),cond(p,"c-om",None,"Osteomyelitis of lumbar vertebra",None,"entered-in-error","2025-08-01",note="Coded in error - wrong patient")],nbg=30,
 desc=G+"Vertebral osteomyelitis entered-in-error -> not evidence -> infection not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136g11"; cards,dec=fji("nc",region="cervical")
write("h136-gm070-cervical-fji-enoxaparin-completed-2023-postop-ifr",p,cfji(p),[cond(p,"c-cs",[(SCT,"387800004","Cervical spondylosis")],"Cervical spondylosis","active","confirmed","2022-01-01")],
 meds=[med(p,"m-enox","Enoxaparin 40mg/0.4ml injection","40mg once daily for 28 days","completed","2023-05-02",reason="VTE prophylaxis post TKR")],nbg=36,
 desc=G+"Enoxaparin 40 mg OD completed 2023 (post-op prophylaxis) -> not current, prophylactic -> not met -> cervical FJI not commissioned (IFR).",cards=cards,decisions=dec)
p="h136g12"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-af-on-aspirin-no-anticoag-mbb",p,lfji(p),[FACET(p),cond(p,"c-af",[(SCT,"49436004","Atrial fibrillation")],"Paroxysmal atrial fibrillation","active","confirmed","2022-03-01",note="Declined anticoagulation 2022 - informed decision")],
 meds=[med(p,"m-asp","Aspirin 75mg dispersible tablets","ONE daily","active","2015-01-01")],nbg=40,
 desc=G+"AF but patient declined anticoagulation; aspirin 75 mg only (antiplatelet) -> anticoagulation not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
# SI
SIS="Seed 004 SI: 'If conservative management has failed and sacroiliac joint pain is elicited using a provocation test, consider image guided sacroiliac joint injection'; 'Individual prior approval'; 'evidence of the result of the provocation test OR evidence of degenerative sacroiliitis'. "
def si(kind, cons="met", prov="not-met", sac="not-met"):
    crit={"excluded":"not-met","conservativeFailed":cons,"provocationPositive":prov,"sacroiliitis":sac}
    c={"pa":("info","prior-approval-required",["prior-approval"]),"nc":("warning","not-commissioned",["ifr"])}[kind]
    return [{"indicator":c[0],"policy":GM,"order":"ServiceRequest/sr-si","decision":c[1],"recommendations":c[2],"criteria":crit,"suggestions":1}],[{"policy":GM,"order":"ServiceRequest/sr-si","decision":c[1]}]
def sireq(p): return sr(p,"sr-si","Image guided sacroiliac joint injection - right",site="Right sacroiliac joint",reason="R SIJ pain")
def sicons(p):
    return ([cond(p,"c-sij",[(SCT,"202487003","Sacroiliac joint pain")],"Sacroiliac joint pain - right","active","confirmed","2024-06-01",episode="review",site="Right sacroiliac joint")],
            [proc(p,"p-physio","Physiotherapy - SIJ/low back, 6 sessions","completed","2025-01-15",site="Right sacroiliac joint",outcome="No improvement")],
            [med(p,"m-nap","Naproxen 500mg tablets","ONE twice a day","active","2024-07-01",reason="R SIJ pain")])
p="h136s01"; c_,pr,m=sicons(p); cards,dec=si("pa",prov="met")
write("h136-gm070-si-physio-failed-provocation-cluster-positive-prior-approval",p,sireq(p),c_,meds=m,procs=pr,
 observations=[bmi(p,27.1),obs(p,"o-prov","SIJ provocation tests (Laslett cluster)","2025-09-20",vstr="Distraction +, thigh thrust +, compression +, sacral thrust -, Gaenslen +: 4/5 positive",interp="Positive")],nbg=40,
 desc=SIS+"Physio (no improvement) and naproxen since 2024 for active R SIJ pain -> conservative failed; Laslett cluster 4/5 positive -> prior approval required (info).",cards=cards,decisions=dec)
p="h136s02"; c_,pr,m=sicons(p); cards,dec=si("pa",sac="met")
c_.append(cond(p,"c-sac",[(SCT,"55146009","Inflammation of sacroiliac joint"),(ICD,"M46.1","Sacroiliitis, not elsewhere classified")],"Sacroiliitis - degenerative (MRI)","active","confirmed","2024-11-01",sig="minor"))
write("h136-gm070-si-active-degenerative-sacroiliitis-icd-snomed-prior-approval",p,sireq(p),c_,meds=m,procs=pr,nbg=35,
 desc=SIS+"Active degenerative sacroiliitis (SNOMED 55146009 + ICD-10 M46.1) and failed conservative care -> prior approval required (info).",cards=cards,decisions=dec)
p="h136s03"; c_,pr,m=sicons(p); cards,dec=si("nc")
c_.append(cond(p,"c-sac",[(SCT,"55146009","Inflammation of sacroiliac joint")],"Sacroiliitis","resolved","confirmed","2012-01-01","2013-01-01"))
write("h136-gm070-si-sacroiliitis-resolved-2013-no-provocation-not-commissioned",p,sireq(p),c_,meds=m,procs=pr,nbg=38,
 desc=SIS+"Sacroiliitis resolved 2013 (not active) and no provocation test in the record (observations available) -> neither met -> SI injection not commissioned (warning, IFR).",cards=cards,decisions=dec)
p="h136s04"; c_,pr,m=sicons(p); cards,dec=si("nc")
c_.append(cond(p,"c-sac",[(SCT,"55146009","Inflammation of sacroiliac joint")],"?Sacroiliitis","inactive","refuted","2025-05-01",note="MRI SIJs normal - no sacroiliitis"))
write("h136-gm070-si-sacroiliitis-refuted-mri-normal-not-commissioned",p,sireq(p),c_,meds=m,procs=pr,nbg=30,
 desc=SIS+"'?Sacroiliitis' refuted by MRI -> sacroiliitis not met; no provocation recorded -> not commissioned (warning, IFR).",cards=cards,decisions=dec)
# HNY 142
H="Seed 000 (HNY 142): USGI steroid injection commissioned if (severe trauma deranging the joint OR landmarks not identifiable (obesity/other disease) OR no relief after two landmark-guided injections OR significant adverse effects) AND no response to conservative treatment over >= 3 months. Design: A = fracture/dislocation of that joint (any clinical status; not refuted/entered-in-error), same side. "
def usgi(p, side="right", joint="knee"): return sr(p,"sr-us","Ultrasound guided injection %s %s joint"%(side,joint),reason="OA %s %s"%(side,joint))
def kneecons(p, side="right"):
    return ([cond(p,"c-oa",[(SCT,"239873007","Osteoarthritis of knee"),(ICD,"M17.1","Other primary gonarthrosis")],"OA knee - %s"%side,"active","confirmed","2023-03-01",site="%s knee"%side.capitalize(),sig="minor")],
            [proc(p,"p-physio","Physiotherapy - %s knee, exercise programme"%side,"completed","2024-11-20",site="%s knee"%side.capitalize(),outcome="No improvement")],
            [med(p,"m-nap","Naproxen 500mg tablets","ONE twice a day","active","2024-06-01",reason="OA %s knee"%side)])
def hnc(A="not-met",B="not-met",Cc="not-met",D="not-met",E="met"):
    return [{"indicator":"warning","policy":HNY,"order":"ServiceRequest/sr-us","decision":"not-commissioned","recommendations":["landmark-guided-injection"],"criteria":{"A":A,"B":B,"C":Cc,"D":D,"E":E},"suggestions":1}],[{"policy":HNY,"order":"ServiceRequest/sr-us","decision":"not-commissioned"}]
comm=([],[{"policy":HNY,"order":"ServiceRequest/sr-us","decision":"commissioned"}])
p="h136h01"; c_,pr,m=kneecons(p)
c_.append(cond(p,"c-fx",None,"Fracture of tibial plateau - right (ORIF)","resolved","confirmed","2009-06-01","2010-01-01",site="Right knee",sig="major"))
write("h136-hny142-usgi-r-knee-tibial-plateau-fx-2009-resolved-commissioned",p,usgi(p),c_,meds=m,procs=pr,nbg=40,
 desc=H+"Right tibial plateau fracture 2009 (resolved; any clinical status counts) -> A met; OA R knee since 2023, physio (no improvement) and naproxen > 3 months -> E met -> commissioned (no card).",cards=comm[0],decisions=comm[1])
p="h136h02"; c_,pr,m=kneecons(p); cards,dec=hnc()
c_.append(cond(p,"c-fx",None,"?Fracture of tibial plateau - right","inactive","refuted","2024-01-05",site="Right knee",note="X-ray NAD, no fracture"))
write("h136-hny142-usgi-r-knee-fracture-refuted-xray-nad-not-commissioned",p,usgi(p),c_,meds=m,procs=pr,nbg=35,
 desc=H+"'?Fracture of tibial plateau' refuted (x-ray NAD) -> A not met; nothing else for A-D -> not commissioned (landmark-guided warning).",cards=cards,decisions=dec)
p="h136h03"; c_,pr,m=kneecons(p,"left"); cards,dec=hnc()
c_.append(cond(p,"c-fx",None,"Fracture of tibial plateau - right","resolved","confirmed","2009-06-01","2010-01-01",site="Right knee",sig="major"))
write("h136-hny142-usgi-l-knee-fracture-was-right-side-not-commissioned",p,usgi(p,"left"),c_,meds=m,procs=pr,nbg=40,
 desc=H+"USGI LEFT knee; the old tibial plateau fracture was the RIGHT knee -> A not met (same joint and side) -> not commissioned.",cards=cards,decisions=dec)
p="h136h04"; c_,pr,m=kneecons(p); cards,dec=hnc()
c_.append(cond(p,"c-ob",[(SCT,"414916001","Obesity")],"Obesity","resolved","confirmed","2012-01-01","2016-01-01"))
write("h136-hny142-usgi-r-knee-obesity-resolved-2016-bmi-27-not-commissioned",p,usgi(p),c_,meds=m,procs=pr,nbg=40,
 desc=H+"Obesity resolved 2016 and latest BMI 27.1 -> no current obesity, no landmark failure -> B not met -> not commissioned.",cards=cards,decisions=dec)
p="h136h05"; c_=[cond(p,"c-sh",[(SCT,"202838008","Rotator cuff syndrome")],"Rotator cuff tendinopathy R","active","confirmed","2024-01-10",site="Right shoulder")]
pr=[proc(p,"p-lg1","Landmark guided subacromial injection - right (Depo-Medrone 40mg)","completed","2024-05-01",site="Right shoulder",outcome="No relief"),
    proc(p,"p-lg2","Landmark guided subacromial injection - right (Kenalog 40mg)","completed","2024-11-01",site="Right shoulder",outcome="No relief"),
    proc(p,"p-phys","Physiotherapy - right shoulder, 8 sessions","completed","2024-03-01",site="Right shoulder",outcome="No improvement")]
write("h136-hny142-usgi-r-shoulder-two-landmark-injections-no-relief-commissioned",p,sr(p,"sr-us","Ultrasound guided subacromial injection - right shoulder",reason="R rotator cuff tendinopathy"),c_,procs=pr,
 meds=[med(p,"m-nap","Naproxen 250mg tablets","ONE three times a day","active","2024-02-01",reason="R shoulder pain")],nbg=40,
 desc=H+"Two completed landmark-guided R subacromial injections (2024-05, 2024-11), no relief -> C met; physio and NSAID since early 2024 without response -> E met -> commissioned (no card).",cards=comm[0],decisions=comm[1])
p="h136h06"; c_=[cond(p,"c-sh",[(SCT,"202838008","Rotator cuff syndrome")],"Rotator cuff tendinopathy R","active","confirmed","2024-01-10",site="Right shoulder")]
pr=[proc(p,"p-lg1","Landmark guided subacromial injection - right (Depo-Medrone 40mg)","completed","2024-05-01",site="Right shoulder",outcome="No relief"),
    proc(p,"p-lg2","Landmark guided subacromial injection - right (Kenalog 40mg)","entered-in-error","2024-11-01",site="Right shoulder",note="Recorded against wrong patient"),
    proc(p,"p-phys","Physiotherapy - right shoulder, 8 sessions","completed","2024-03-01",site="Right shoulder",outcome="No improvement")]
cards,dec=hnc()
write("h136-hny142-usgi-r-shoulder-second-injection-entered-in-error-not-commissioned",p,sr(p,"sr-us","Ultrasound guided subacromial injection - right shoulder",reason="R rotator cuff tendinopathy"),c_,procs=pr,
 meds=[med(p,"m-nap","Naproxen 250mg tablets","ONE three times a day","active","2024-02-01",reason="R shoulder pain")],nbg=40,
 desc=H+"Only ONE completed landmark injection; the second is entered-in-error -> C not met; E met -> not commissioned (landmark-guided warning).",cards=cards,decisions=dec)
p="h136h07"; c_=[cond(p,"c-eff",None,"Effusion of knee joint - left","active","confirmed","2025-09-01",site="Left knee")]
pr=[proc(p,"p-asp","Aspiration of knee joint - left, landmark guided","completed","2025-09-10",site="Left knee",outcome="Dry tap - unsuccessful")]
write("h136-hny142-usgi-aspiration-l-knee-dry-tap-commissioned",p,sr(p,"sr-us","Ultrasound guided aspiration left knee joint",reason="L knee effusion"),c_,procs=pr,nbg=30,
 desc="Seed 000: USGI aspiration commissioned if '... Failure to successfully aspirate after a landmark guided attempt'. Landmark aspiration L knee 2025-09-10 dry tap -> F met -> commissioned (no card).",cards=[],decisions=[{"policy":HNY,"order":"ServiceRequest/sr-us","decision":"commissioned"}])
p="h136h08"; c_,pr,m=kneecons(p); cards,dec=hnc()
c_ += [cond(p,"c-oa2",[(SCT,"239873007","Osteoarthritis of knee")],"Osteoarthritis of knee","resolved","confirmed","2019-01-01","2019-06-01",site="Right knee")]
c_ += [cond(p,"c-inj",None,"Sprain of medial collateral ligament - right knee, grade 1","resolved","confirmed","2018-02-01","2018-04-01",site="Right knee")]
write("h136-hny142-usgi-r-knee-grade1-mcl-sprain-duplicate-oa-not-commissioned",p,usgi(p),c_,meds=m,procs=pr,nbg=45,
 desc=H+"Grade 1 MCL sprain (resolved 2018) is minor, not a derangement of architecture -> A not met; duplicate OA entries (GP active, old resolved) -> problem active, E met -> not commissioned.",cards=cards,decisions=dec)
