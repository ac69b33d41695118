# H136 Phase 2, fourth sweep: oncology care in remission, Condition.evidence, medication statuses.
import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
src=open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136probes.py")).read()
exec(src[src.index("NWL="):src.index("# ---- second cases")])
p="h136u01"; cards,dec=nwl("onc",onc="met")
write("h136-nwl-breast-ca-remission-adjuvant-tamoxifen-active-oncology-team",p,mri_ls(p,"Thoracic back pain"),
 [LBP(p),cond(p,"c-bca",[(SCT,"254837009","Malignant neoplasm of breast")],"Breast cancer - R, WLE + RT 2023","remission","confirmed","2023-02-01",sig="major")],
 meds=[med(p,"m-tam","Tamoxifen 20mg tablets","ONE daily (5 years, oncology)","active","2023-06-01",reason="Breast cancer")],nbg=40,
 desc=C+"Breast cancer in remission but on adjuvant tamoxifen (endocrine anticancer therapy, active) -> under the care of oncology -> refer back to the oncology team (warning).",cards=cards,decisions=dec)
p="h136u02"; cards,dec=nwl("ces",ces="met")
c=cond(p,"c-lbp",[(SCT,"279039007","Low back pain")],"Low back pain - acute","active","confirmed","2025-09-26",episode="first")
c["evidence"]=[{"code":[{"text":"Saddle anaesthesia"}]}]
write("h136-nwl-recent-lbp-condition-evidence-saddle-anaesthesia-critical",p,mri_ls(p,"Acute LBP"),[c],nbg=45,
 desc=S+"A recent active 'Low back pain - acute' problem whose Condition.evidence.code is 'Saddle anaesthesia' -> back pain with saddle sensory loss -> caudaEquina met -> critical.",cards=cards,decisions=dec)
p="h136u03"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-warfarin-statement-not-taken-mbb",p,lfji(p),[FACET(p)],
 meds=[med(p,"ms-w","Warfarin sodium 1mg tablets","As directed","not-taken","2024-02-01",rtype="MedicationStatement")],nbg=40,
 desc=G+"Warfarin MedicationStatement with status not-taken (prescribed but the patient is not taking it) -> not receiving anticoagulation -> not met -> not commissioned (MBB + IFR).",cards=cards,decisions=dec)
p="h136u04"; cards,dec=fji("ci",ac="met")
write("h136-gm070-lumbar-fji-apixaban-draft-being-started-contraindicated",p,lfji(p),[FACET(p),cond(p,"c-af",[(SCT,"49436004","Atrial fibrillation")],"Atrial fibrillation - new","active","confirmed","2025-09-25")],
 meds=[med(p,"m-apx","Apixaban 5mg tablets","ONE twice a day","draft","2025-09-30",reason="New AF")],nbg=40,
 desc=G+"Apixaban 5 mg BD drafted yesterday for new AF (about to start) -> anticoagulation intended -> met -> contraindicated.",cards=cards,decisions=dec)
