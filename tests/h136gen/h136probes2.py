# H136 Phase 2, second sweep: anticoagulants the patient does not take; infection words that are not infections.
import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
src=open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136probes.py")).read()
exec(src[src.index("NWL="):src.index("# ---- second cases")])
def region_fji(p, text): return sr(p,"sr-fji",text,reason="Facet joint pain")
p="h136r01"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-af-anticoagulation-contraindicated-falls-aspirin-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-af",[(SCT,"49436004","Atrial fibrillation")],"Atrial fibrillation","active","confirmed","2020-02-01",sig="major"),
  cond(p,"c-ci",None,"Anticoagulation contraindicated - recurrent falls","active","confirmed","2021-06-01")],
 meds=[med(p,"m-asp","Aspirin 75mg dispersible tablets","ONE daily","active","2016-01-01")],nbg=42,
 desc=G+"QOF exception 'Anticoagulation contraindicated - recurrent falls' records an anticoagulant the patient does NOT take; aspirin only -> anticoagulation not met -> not commissioned (MBB + IFR), not contraindicated.",cards=cards,decisions=dec)
p="h136r02"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-warfarin-allergy-hit-2018-no-anticoagulant-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-wa",None,"Warfarin allergy","active","confirmed","2012-01-01"),
  cond(p,"c-hit",None,"Heparin induced thrombocytopenia","inactive","confirmed","2018-04-01",sig="major")],nbg=40,
 desc=G+"An allergy to warfarin and past heparin-induced thrombocytopenia record anticoagulants the patient cannot take; no anticoagulant in the medication list -> not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136r03"; cards,dec=fji("ci",region="cervical",ac="met")
write("h136-gm070-cervical-fji-warfarin-intolerance-now-apixaban-contraindicated",p,sr(p,"sr-fji","Cervical facet joint injection C4/5 left",reason="Neck pain"),
 [cond(p,"c-np",[(SCT,"81680005","Neck pain"),(ICD,"M54.2","Cervicalgia")],"Neck pain","active","confirmed","2024-01-01"),
  cond(p,"c-wi",None,"Warfarin intolerance","active","confirmed","2019-01-01")],
 meds=[med(p,"m-apx","Apixaban 5mg tablets","ONE twice a day","active","2019-02-01",reason="AF")],nbg=40,
 desc=G+"Guard for the anticoagulant-not-taken shield: warfarin intolerance, but apixaban 5 mg BD active -> anticoagulation met -> cervical FJI contraindicated.",cards=cards,decisions=dec)
p="h136r04"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-discharged-anticoag-clinic-2019-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-dis",None,"Discharged from anticoagulation clinic","active","confirmed","2019-08-01")],
 meds=[med(p,"m-w","Warfarin sodium 3mg tablets","As directed","stopped","2019-02-01")],nbg=40,
 desc=G+"'Discharged from anticoagulation clinic' (2019) and warfarin stopped -> no current anticoagulation -> not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136r05"; cards,dec=fji("nc",region="thoracic")
write("h136-gm070-thoracic-fji-febrile-convulsion-sepsis-risk-assessment-ifr",p,region_fji(p,"Thoracic facet joint injection T7/8"),
 [cond(p,"c-tp",None,"Thoracic back pain","active","confirmed","2024-06-01"),
  cond(p,"c-fc",None,"Febrile convulsion","inactive","confirmed","1984-01-01"),
  cond(p,"c-sr",None,"Sepsis risk assessment - low risk","active","confirmed","2025-09-20",cat="encounter-diagnosis")],nbg=40,
 desc=G+"A childhood febrile convulsion and a 'Sepsis risk assessment - low risk' record (NICE NG51 screening) are not infections -> infection not met -> thoracic FJI not commissioned (IFR).",cards=cards,decisions=dec)
p="h136r06"; cards,dec=fji("ci",inf="met")
write("h136-gm070-lumbar-fji-sepsis-screen-positive-urosepsis-admitted-contraindicated",p,lfji(p),
 [FACET(p),cond(p,"c-us",None,"Urosepsis - admitted, IV antibiotics","active","confirmed","2025-09-26",cat="encounter-diagnosis",episode="first")],nbg=40,
 desc=G+"Guard: current urosepsis on IV antibiotics (2025-09-26) -> systemic infection met -> contraindicated.",cards=cards,decisions=dec)
