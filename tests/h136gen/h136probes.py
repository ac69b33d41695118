# H136 Phase 2: second cases for each fix and probes along the seams of the first run.
import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
NWL="nwl-msk-imaging"; GM="gm070-facet-joint-injections"; HNY="hny-142-usgi"
def nwl(kind, order="sr-mri", ces="not-met",sc="not-met",onc="not-met",lump="not-met"):
    ind,rec,sug={"community":("warning",["community-msk-referral"],1),"ces":("critical",["urgent-referral"],0),
             "cancer":("warning",["cancer-pathway"],0),"onc":("warning",["oncology-team"],0)}[kind]
    crit={"primaryCare":"met","caudaEquina":ces,"suspectedCancer":sc,"underOncology":onc,"softTissueLump":lump}
    return [{"indicator":ind,"policy":NWL,"order":"ServiceRequest/"+order,"decision":"redirect","recommendations":rec,"criteria":crit,"suggestions":sug}], [{"policy":NWL,"order":"ServiceRequest/"+order,"decision":"redirect"}]
def mri_ls(pid, reason="Low back pain", note=None):
    return sr(pid,"sr-mri",'MRI lumbar spine',[(SCT,"241645008","Magnetic resonance imaging of spine")],reason=reason,note=note)
LBP=lambda pid,onset="2025-08-20": cond(pid,"c-lbp",[(SCT,"279039007","Low back pain"),(READ,"N142.","Pain in lumbar spine")],"Low back pain","active","confirmed",onset,episode="new",sig="minor")
def fji(kind, order="sr-fji", region="lumbar", inf="not-met", ac="not-met", unw="not-met"):
    crit={"excluded":"not-met","region":"met","infection":inf,"anticoagulation":ac,"unwilling":unw}
    if kind=="ci":
        rec=["do-not-request"]+(["medial-branch-block","ifr"] if region=="lumbar" else ["ifr"]); c={"indicator":"warning","decision":"contraindicated","recommendations":rec,"suggestions":1}
    else:
        rec=["medial-branch-block","ifr"] if region=="lumbar" else ["ifr"]; c={"indicator":"warning","decision":"not-commissioned","recommendations":rec,"suggestions":2 if region=="lumbar" else 1}
    c.update({"policy":GM,"order":"ServiceRequest/"+order,"criteria":crit})
    return [c],[{"policy":GM,"order":"ServiceRequest/"+order,"decision":c["decision"]}]
def lfji(p, reason="Chronic LBP - facet arthropathy"): return sr(p,"sr-fji","Lumbar facet joint injection L4/5 L5/S1 bilateral",reason=reason)
FACET=lambda p: cond(p,"c-facet",[(SCT,"428671008","Arthropathy of lumbar facet joint")],"Lumbar facet joint arthropathy","active","confirmed","2023-02-01",sig="minor")
S="Seed 003 (NWL MSK imaging v1.2): 'For suspected cauda equina syndrome, this should NOT be managed in primary care and should be urgently/acutely referred onwards'; design: CES named not negated in an ACTIVE Condition (any verification status) or the order's reason/note, or GIRFT cluster (back pain/sciatica + saddle sensory loss, or NEW bladder/bowel/sexual dysfunction, or bilateral sciatica). "
C="Seed 003: 'For suspected cancer, please use local cancer referral pathways. If a patient under the care of oncology ... refer the patient back to their oncology team'; otherwise community MSK referral. "
G="Seed 004 (GM070 v3.1): lumbar FJI 'no longer commissioned - medial branch block is the diagnostic tool of choice', IFR; NOTE 'should not be requested if ... evidence of a local or systemic infection ... substantial therapeutic or constitutional anticoagulation'. Design: local = spine, SI joint, skin over the site; systemic = sepsis, bacteraemia, discitis, osteomyelitis. "
# ---- second cases for the hay-fever fix
p="h136q01"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-hayfever-rheumatic-fever-yellow-fever-shingles-vaccines-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-hf",[(SCT,"61582004","Allergic rhinitis")],"Seasonal allergic rhinitis - hay fever (grass pollen)","active","confirmed","2001-05-01"),
  cond(p,"c-rf",None,"Rheumatic fever - childhood","inactive","confirmed","1968-01-01",sig="major"),
  cond(p,"c-yf",None,"Yellow fever vaccination - travel (Ghana)","active","confirmed","2025-08-01",cat="encounter-diagnosis"),
  cond(p,"c-sh",None,"Shingles vaccination (Shingrix) - first dose given","active","confirmed","2025-09-10",cat="encounter-diagnosis")],nbg=36,
 desc=G+"Second case for the H136 fix: hay fever (allergic rhinitis), childhood rheumatic fever and yellow fever / shingles vaccinations name no infection of this patient -> infection not met -> lumbar FJI not commissioned (MBB + IFR), not contraindicated.",cards=cards,decisions=dec)
p="h136q02"; cards,dec=fji("ci",inf="met")
write("h136-gm070-lumbar-fji-hay-fever-plus-pyrexia-rigors-now-contraindicated",p,lfji(p),
 [FACET(p),cond(p,"c-hf",None,"Hay fever","active","confirmed","2003-05-01"),
  cond(p,"c-pyr",None,"Pyrexia 38.9 with rigors - ?source","active","confirmed","2025-09-29",episode="first",sig="major")],nbg=30,
 desc=G+"Guard for the hay-fever shield: a current 'Pyrexia 38.9 with rigors' (2025-09-29) is still a systemic infection sign -> infection met -> contraindicated.",cards=cards,decisions=dec)
# ---- GM070 probes
p="h136q03"; cards,dec=fji("ci",inf="met")
write("h136-gm070-lumbar-fji-cellulitis-lower-back-active-contraindicated",p,lfji(p),
 [FACET(p),cond(p,"c-cel",[(SCT,"128045006","Cellulitis")],"Cellulitis of lower back","active","confirmed","2025-09-25",episode="first")],
 meds=[med(p,"m-fluc","Flucloxacillin 500mg capsules","TWO four times a day for 7 days","active","2025-09-25",reason="Cellulitis lower back")],nbg=40,
 desc=G+"Active cellulitis of the lower back (skin over the lumbar site), on flucloxacillin -> local infection met -> contraindicated.",cards=cards,decisions=dec)
p="h136q04"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-tinzaparin-treatment-dose-active-contraindicated",p,lfji(p),
 [FACET(p),cond(p,"c-dvt",None,"DVT right leg - on LMWH (cancer-associated)","active","confirmed","2025-08-20",sig="major")],
 meds=[med(p,"m-tinz","Tinzaparin 18,000units/0.9ml injection","175 units/kg once daily (treatment dose)","active","2025-08-20",reason="DVT")],nbg=38,
 desc=G+"Tinzaparin at treatment dose (175 units/kg OD) for an active DVT -> substantial therapeutic anticoagulation -> contraindicated.",cards=cards,decisions=dec)
p="h136q05"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-warfarin-statement-completed-2016-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-pe",None,"Pulmonary embolism","resolved","confirmed","2015-06-01","2016-01-01")],
 meds=[med(p,"ms-warf","Warfarin sodium 1mg tablets","As directed","completed","2015-06-05",rtype="MedicationStatement")],nbg=40,
 desc=G+"Warfarin MedicationStatement completed (6 months for a PE in 2015-16) -> not current -> anticoagulation not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136q06"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-eliquis-brand-active-contraindicated",p,lfji(p),[FACET(p)],
 meds=[med(p,"m-eliq","Eliquis 5mg tablets (Bristol-Myers Squibb)","ONE tablet twice daily","active","2022-02-01",reason="Non-valvular AF")],nbg=44,
 desc=G+"Active Eliquis (brand of apixaban, a DOAC) -> anticoagulation met -> contraindicated.",cards=cards,decisions=dec)
p="h136q07"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-haemophilia-a-icd-d66-contraindicated",p,lfji(p),
 [FACET(p),cond(p,"c-haem",[(ICD,"D66","Hereditary factor VIII deficiency")],"Haemophilia A (moderate) - Manchester Haemophilia Centre","active","confirmed","1975-01-01",sig="major")],nbg=30,gender="male",
 desc=G+"Haemophilia A (ICD-10 D66), inherited bleeding disorder -> constitutional anticoagulation met -> contraindicated.",cards=cards,decisions=dec)
p="h136q08"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-dalteparin-prophylaxis-completed-mbb",p,lfji(p),[FACET(p)],
 meds=[med(p,"m-dal","Dalteparin 5,000units/0.2ml injection","5000 units once daily for 4 weeks (VTE prophylaxis)","completed","2024-03-01",reason="Post-op VTE prophylaxis")],nbg=35,
 desc=G+"Dalteparin 5,000 units OD prophylaxis, completed 2024 -> prophylactic and not current -> not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136q09"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-haemophilia-carrier-family-history-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-fh",None,"Family history of haemophilia - brother","active","confirmed","2010-01-01")],nbg=30,
 desc=G+"Family history of haemophilia (brother) is not the patient's disorder -> constitutional anticoagulation not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
# ---- SI probes
SIS="Seed 004 SI: 'If conservative management has failed and sacroiliac joint pain is elicited using a provocation test, consider image guided sacroiliac joint injection'; 'Individual prior approval'; 'evidence of the result of the provocation test OR evidence of degenerative sacroiliitis'. "
def si(kind, cons="met", prov="not-met", sac="not-met"):
    crit={"excluded":"not-met","conservativeFailed":cons,"provocationPositive":prov,"sacroiliitis":sac}
    c={"pa":("info","prior-approval-required",["prior-approval"],1),"nc":("warning","not-commissioned",["ifr"],1),"unk":("info","criteria-unknown",["document-criteria"],0)}[kind]
    return [{"indicator":c[0],"policy":GM,"order":"ServiceRequest/sr-si","decision":c[1],"recommendations":c[2],"criteria":crit,"suggestions":c[3]}],[{"policy":GM,"order":"ServiceRequest/sr-si","decision":c[1]}]
def sireq(p): return sr(p,"sr-si","Image guided sacroiliac joint injection - left",site="Left sacroiliac joint",reason="L SIJ pain")
def sicons(p):
    return ([cond(p,"c-sij",[(SCT,"202487003","Sacroiliac joint pain")],"Sacroiliac joint dysfunction - left","active","confirmed","2024-04-01",episode="review",site="Left sacroiliac joint")],
            [proc(p,"p-physio","MSK physiotherapy - L SIJ, 6 sessions","completed","2025-02-10",site="Left sacroiliac joint",outcome="No improvement")],
            [med(p,"m-ibu","Ibuprofen 400mg tablets","ONE three times a day with food","active","2024-05-01",reason="L SIJ pain")])
p="h136q10"; c_,pr,m=sicons(p); cards,dec=si("pa",prov="met")
write("h136-gm070-si-thigh-thrust-positive-single-test-prior-approval",p,sireq(p),c_,meds=m,procs=pr,
 observations=[bmi(p,26.0),obs(p,"o-tt","Thigh thrust test - left","2025-09-18",vstr="Positive - reproduces L buttock pain",interp="Positive")],nbg=40,
 desc=SIS+"Failed physio + NSAID for L SIJ dysfunction; thigh thrust provocation test positive (reproduces pain) -> prior approval required (info).",cards=cards,decisions=dec)
p="h136q11"; c_,pr,m=sicons(p); cards,dec=si("nc")
write("h136-gm070-si-laslett-cluster-1-of-5-negative-not-commissioned",p,sireq(p),c_,meds=m,procs=pr,
 observations=[bmi(p,26.0),obs(p,"o-cl","SIJ provocation cluster (Laslett)","2025-09-18",vstr="1/5 positive (thigh thrust only) - cluster negative",interp="Negative")],nbg=35,
 desc=SIS+"Laslett cluster 1/5 (negative), no sacroiliitis -> provocation not met -> not commissioned (warning, IFR).",cards=cards,decisions=dec)
p="h136q12"; cards,dec=si("unk",cons="unknown",prov="met")
c_=[cond(p,"c-sij",[(SCT,"202487003","Sacroiliac joint pain")],"Sacroiliac joint pain - left","active","confirmed","2025-01-10",site="Left sacroiliac joint")]
pr=[proc(p,"p-physio","MSK physiotherapy - L SIJ","not-done","2025-03-01",site="Left sacroiliac joint",note="DNA x2 - discharged")]
m=[med(p,"m-nap","Naproxen 500mg tablets","ONE twice a day","entered-in-error","2025-02-01",reason="L SIJ pain")]
write("h136-gm070-si-physio-not-done-naproxen-entered-in-error-conservative-unknown",p,sireq(p),c_,meds=m,procs=pr,
 observations=[bmi(p,26.0),obs(p,"o-prov","SIJ provocation tests","2025-09-18",vstr="3/5 positive",interp="Positive")],nbg=30,
 desc=SIS+"Physio not done (DNA) and naproxen entered-in-error: no conservative treatment actually given, problem > 3 months -> conservativeFailed unknown; provocation 3/5 positive -> criteria unknown (info, document).",cards=cards,decisions=dec)
# ---- NWL probes
p="h136q13"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-ces-clinical-status-recurrence-critical",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-ces",None,"Cauda equina syndrome - recurrent symptoms","recurrence","confirmed","2025-09-29",sig="major",episode="new",note="Previous decompression 2016. Now saddle numbness again.")],nbg=45,
 desc=S+"CES with clinicalStatus 'recurrence' (an active status), new episode 2025-09-29 -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136q14"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-new-faecal-incontinence-with-sciatica-critical",p,mri_ls(p,"Sciatica"),
 [cond(p,"c-sci",[(SCT,"23056005","Sciatica")],"Sciatica - right","active","confirmed","2025-09-01"),
  cond(p,"c-fi",None,"Faecal incontinence - new onset this week","active","confirmed","2025-09-29",episode="first",sig="major")],nbg=40,
 desc=S+"Sciatica plus NEW faecal incontinence (this week) -> new bowel dysfunction -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136q15"; cards,dec=nwl("community")
write("h136-nwl-faecal-incontinence-since-2012-obstetric-tear-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-fi",None,"Faecal incontinence","active","confirmed","2012-04-01",note="Following 3rd degree perineal tear 2012. Under colorectal. Stable.")],nbg=40,
 desc=S+"Faecal incontinence since 2012 after an obstetric tear, stable -> not new -> no CES cluster -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136q16"; cards,dec=nwl("community")
write("h136-nwl-urinary-retention-resolved-2020-post-op-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-ret",[(SCT,"267064002","Retention of urine")],"Acute urinary retention - post-op, catheterised","resolved","confirmed","2020-03-01","2020-03-10")],nbg=40,gender="male",
 desc=S+"Urinary retention resolved in 2020 (post-operative) -> not new now -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136q17"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-ces-differential-among-52-critical",p,mri_ls(p,"Severe LBP, bilateral leg pain"),
 [LBP(p),cond(p,"c-ces",[(ICD,"G83.4","Cauda equina syndrome")],"Cauda equina syndrome","active","differential","2025-09-30",episode="first",sig="major")],nbg=52,
 desc=S+"CES active with verificationStatus 'differential' among 52 problems -> suspected -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136q18"; cards,dec=nwl("community")
write("h136-nwl-ces-inactive-significant-past-2011-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-ces",[(ICD,"G83.4","Cauda equina syndrome")],"Cauda equina syndrome","inactive","confirmed","2011-05-01",sig="major")],nbg=40,
 desc=S+"CES exported as an inactive 'significant past' problem (2011, no abatement date) -> not active -> community MSK warning, not critical.",cards=cards,decisions=dec)
p="h136q19"; cards,dec=nwl("cancer",sc="met")
write("h136-nwl-suspected-prostate-ca-2ww-unconfirmed-cancer-pathway",p,mri_ls(p,"LBP, raised PSA"),
 [LBP(p),cond(p,"c-pca",[(SCT,"399068003","Malignant tumor of prostate")],"Prostate cancer - 2WW referral, awaiting biopsy","active","unconfirmed","2025-09-20")],nbg=40,gender="male",
 desc=C+"Prostate cancer coded with verificationStatus unconfirmed (2WW referral awaiting biopsy) -> suspected cancer met -> cancer pathway warning.",cards=cards,decisions=dec)
p="h136q20"; cards,dec=nwl("community")
write("h136-nwl-family-history-bowel-cancer-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-fh",None,"Family history of bowel cancer - father aged 70","active","confirmed","2015-01-01")],nbg=40,
 desc=C+"Family history of bowel cancer (father) is not the patient's cancer -> not suspected, not under oncology -> community MSK warning.",cards=cards,decisions=dec)
p="h136q21"; cards,dec=nwl("community")
write("h136-nwl-bcc-excised-2018-resolved-community",p,mri_ls(p,"LBP"),
 [LBP(p),cond(p,"c-bcc",None,"Basal cell carcinoma of nose - excised, clear margins","resolved","confirmed","2018-02-01","2018-04-01")],nbg=40,
 desc=C+"BCC excised 2018, resolved -> not active, not suspected -> community MSK warning.",cards=cards,decisions=dec)
p="h136q22"; cards,dec=nwl("onc",onc="met")
write("h136-nwl-active-myeloma-on-lenalidomide-oncology-team",p,mri_ls(p,"Back pain"),
 [LBP(p),cond(p,"c-mm",[(ICD,"C90.0","Multiple myeloma")],"Multiple myeloma","active","confirmed","2023-10-01",sig="major")],
 meds=[med(p,"m-len","Lenalidomide 10mg capsules","ONE daily days 1-21 of 28 (hospital prescribing)","active","2024-01-01",reason="Myeloma maintenance")],nbg=40,
 desc=C+"Active multiple myeloma on lenalidomide maintenance (anticancer treatment) -> under oncology met -> refer back to oncology/haematology team.",cards=cards,decisions=dec)
p="h136q23"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-reason-query-ces-saddle-numbness-60-problems-critical",p,mri_ls(p,"?CES - saddle numbness and new urinary hesitancy"),[LBP(p)],nbg=60,
 desc=S+"The order's reason '?CES - saddle numbness and new urinary hesitancy' in a 60-problem record -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136q24"; cards,dec=nwl("community")
write("h136-nwl-note-no-saddle-no-bladder-bowel-55-problems-community",p,mri_ls(p,"Chronic LBP","Red flags screened: no saddle anaesthesia, no bladder or bowel disturbance, no bilateral leg symptoms."),[LBP(p,"2023-06-01")],nbg=55,
 desc=S+"Order note negates every red flag -> caudaEquina not met -> community MSK warning, not critical.",cards=cards,decisions=dec)
# ---- HNY 142 probes
H="Seed 000 (HNY 142): USGI steroid injection commissioned if (severe trauma deranging the joint OR landmarks not identifiable due to obesity/other disease OR no relief after two landmark-guided injections OR significant adverse effects) AND no response to conservative treatment >= 3 months. "
def hnc(A="not-met",B="not-met",Cc="not-met",D="not-met",E="met", kind="nc"):
    if kind=="unk":
        return [{"indicator":"info","policy":HNY,"order":"ServiceRequest/sr-us","decision":"criteria-unknown","recommendations":["document-criteria"],"criteria":{"A":A,"B":B,"C":Cc,"D":D,"E":E},"suggestions":0}],[{"policy":HNY,"order":"ServiceRequest/sr-us","decision":"criteria-unknown"}]
    return [{"indicator":"warning","policy":HNY,"order":"ServiceRequest/sr-us","decision":"not-commissioned","recommendations":["landmark-guided-injection"],"criteria":{"A":A,"B":B,"C":Cc,"D":D,"E":E},"suggestions":1}],[{"policy":HNY,"order":"ServiceRequest/sr-us","decision":"not-commissioned"}]
comm=([],[{"policy":HNY,"order":"ServiceRequest/sr-us","decision":"commissioned"}])
def cons(p, side, joint, label):
    S_="%s %s"%(side.capitalize(),joint)
    return ([cond(p,"c-prob",None,"%s - %s %s"%(label,side,joint),"active","confirmed","2024-01-15",site=S_)],
            [proc(p,"p-physio","Physiotherapy - %s %s"%(side,joint),"completed","2024-09-01",site=S_,outcome="No improvement")],
            [med(p,"m-nsaid","Naproxen 500mg tablets","ONE twice a day","active","2024-02-01",reason="%s %s pain"%(side,joint))])
p="h136q25"; c_,pr,m=cons(p,"left","ankle","Osteoarthritis of ankle"); cards,dec=hnc()
c_.append(cond(p,"c-spr",None,"Grade 1 sprain of left ankle - settled","resolved","confirmed","2022-05-01","2022-06-15",site="Left ankle"))
write("h136-hny142-usgi-l-ankle-grade-1-sprain-not-severe-trauma-landmark",p,sr(p,"sr-us","Ultrasound guided injection left ankle joint",reason="OA left ankle"),c_,meds=m,procs=pr,nbg=40,
 desc=H+"Second case for the H136 minor-sprain fix: 'Grade 1 sprain of left ankle - settled' (2022) is not severe trauma deranging the joint -> A not met; E met -> not commissioned (landmark warning).",cards=cards,decisions=dec)
p="h136q26"; c_,pr,m=cons(p,"right","hip","Trochanteric pain / hip OA")
c_.append(cond(p,"c-dis",None,"Dislocation of right hip - traumatic (RTA), reduced under GA","resolved","confirmed","2010-07-01","2010-10-01",site="Right hip",sig="major"))
write("h136-hny142-usgi-r-hip-traumatic-dislocation-2010-commissioned",p,sr(p,"sr-us","Ultrasound guided injection right hip joint",reason="R hip OA"),c_,meds=m,procs=pr,nbg=40,
 desc=H+"Traumatic dislocation of the right hip (2010, resolved; any clinical status) -> A met; failed physio/NSAID > 3 months -> E met -> commissioned (no card).",cards=comm[0],decisions=comm[1])
p="h136q27"; c_,pr,m=cons(p,"right","shoulder","Subacromial impingement"); cards,dec=hnc()
pr += [proc(p,"p-lg1","Landmark guided subacromial injection - left","completed","2023-03-01",site="Left shoulder",outcome="No relief"),
       proc(p,"p-lg2","Landmark guided subacromial injection - left","completed","2023-09-01",site="Left shoulder",outcome="No relief")]
write("h136-hny142-usgi-r-shoulder-two-injections-were-left-c-not-met",p,sr(p,"sr-us","Ultrasound guided subacromial injection right shoulder",reason="R subacromial impingement"),c_,meds=m,procs=pr,nbg=40,
 desc=H+"The two landmark-guided injections without relief were of the LEFT shoulder; the order is the RIGHT -> C not met; E met -> not commissioned.",cards=cards,decisions=dec)
p="h136q28"; c_,pr,m=cons(p,"right","knee","Osteoarthritis of knee")
c_.append(cond(p,"c-mob",[(SCT,"238136002","Morbid obesity")],"Morbid obesity","active","confirmed","2018-01-01",sig="major"))
pr.append(proc(p,"p-lgfail","Landmark guided injection right knee - attempted","stopped","2025-06-01",site="Right knee",note="Unable to palpate joint line/landmarks due to body habitus. Abandoned, not injected."))
write("h136-hny142-usgi-r-knee-landmarks-not-palpable-habitus-commissioned",p,usgi_ := sr(p,"sr-us","Ultrasound guided injection right knee joint",reason="OA right knee"),c_,meds=m,procs=pr,
 observations=[bmi(p,44.2)],nbg=40,
 desc=H+"Landmark attempt on the right knee abandoned: 'Unable to palpate joint line/landmarks due to body habitus' with morbid obesity (BMI 44.2) -> B met; E met -> commissioned (no card).",cards=comm[0],decisions=comm[1])
p="h136q29"; c_,pr,m=cons(p,"right","knee","Osteoarthritis of knee"); cards,dec=hnc(B="unknown",kind="unk")
c_.append(cond(p,"c-mob",[(SCT,"238136002","Morbid obesity")],"Morbid obesity","active","confirmed","2018-01-01",sig="major"))
write("h136-hny142-usgi-r-knee-morbid-obesity-bmi-44-no-failure-b-unknown",p,sr(p,"sr-us","Ultrasound guided injection right knee joint",reason="OA right knee"),c_,meds=m,procs=pr,
 observations=[bmi(p,44.2)],nbg=40,
 desc=H+"Morbid obesity (BMI 44.2) recorded but no failure to identify landmarks -> B unknown (design); E met; A, C, D not met -> criteria unknown (info, document).",cards=cards,decisions=dec)
