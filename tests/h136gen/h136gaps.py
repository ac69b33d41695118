# H136 known gaps (written to tests/known-gaps)
import sys, os; sys.argv=[sys.argv[0],os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "known-gaps")]
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136gen.py")).read())
src=open(os.path.join(os.path.dirname(os.path.abspath(__file__)),"h136probes.py")).read()
exec(src[src.index("NWL="):src.index("# ---- second cases")])
# h136k02 with the note 'Patient declined - wished to try physio first' also passed: tests/vectors/h136-gm070-lumbar-fji-declined-2016-wished-physio-first-mbb
# h136k01 (same refusal, order reason 'keen to proceed') passed on its first run: tests/vectors/h136-gm070-lumbar-fji-declined-2016-now-keen-to-proceed-mbb
p="h136k02"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-declined-facet-injection-2016-stale-refusal-mbb",p,lfji(p),[FACET(p)],
 procs=[proc(p,"p-dec","Lumbar facet joint injection","not-done","2016-05-01",note="Patient declined")],nbg=40,
 desc=G+"A facet joint injection the patient declined in May 2016 (note 'Patient declined', 9 years ago) does not show that the patient is unwilling NOW, when the clinician requests one -> unwilling not met -> lumbar FJI not commissioned (MBB + IFR), not contraindicated. Known gap: every recorded refusal of this procedure counts, whatever its age.",cards=cards,decisions=dec)
p="h136k03"; cards,dec=nwl("ces",ces="met")
write("h136-nwl-old-lbp-problem-untimed-note-now-saddle-numbness-retention-critical",p,mri_ls(p,"LBP - worse"),
 [cond(p,"c-lbp",[(SCT,"279039007","Low back pain")],"Low back pain","active","confirmed","2023-01-10",episode="review",note="Now saddle numbness and urinary retention since Saturday")],nbg=40,
 desc=S+"An active LBP problem from 2023 whose note (GP Connect Annotation without a time) says 'Now saddle numbness and urinary retention since Saturday' -> back pain with saddle sensory loss and new retention -> caudaEquina met -> critical. Known gap: notes of older active Conditions are read for the red-flag cluster only when their time is within 3 months.",cards=cards,decisions=dec)
p="h136k04"; cards,dec=fji("nc")
write("h136-gm070-lumbar-fji-discitis-gp-resolved-hospital-2015-still-active-mbb",p,lfji(p),
 [FACET(p),cond(p,"c-disc",[(ICD,"M46.4","Discitis, unspecified")],"Discitis L4/5","resolved","confirmed","2015-02-01","2015-06-01",sig="major",note="IV abx 6/52 then oral. Resolved on MRI June 2015."),
  cond(p,"c-disc-h",[(ICD,"M46.4","Discitis, unspecified")],"Discitis, unspecified (hospital episode)","active","confirmed","2015-02-01",recorded="2015-02-03",cat="encounter-diagnosis")],nbg=40,
 desc=G+"Two entries for one discitis episode: the GP problem resolved in June 2015, and the hospital's encounter diagnosis from the same February 2015 admission, never closed, still 'active' -> the episode ended in 2015 -> no current infection -> not commissioned (MBB + IFR). Known gap: any active entry counts, so the stale hospital duplicate makes the request contraindicated.",cards=cards,decisions=dec)
p="h136k05"; cards,dec=nwl("ces",ces="met")
c=cond(p,"c-ces",None,None,"active","provisional","2025-09-30",cat="encounter-diagnosis")
c["code"]={"coding":[{"system":ICD,"code":"G83.4"}]}
write("h136-nwl-hospital-icd10-g834-coded-only-provisional-critical",p,mri_ls(p,"LBP"),[LBP(p),c],nbg=30,
 desc=S+"A shared-care-record hospital encounter diagnosis coded ICD-10 G83.4 (WHO ICD-10: Cauda equina syndrome) with no display or text, provisional, recorded yesterday -> suspected CES -> caudaEquina met -> critical. Known gap: a code without its display is read only when vocabulary/codes.json lists it, and codes.json takes only codes terminology.md sources.",cards=cards,decisions=dec)
