import json, os, sys, itertools
OUT = sys.argv[1]
NOW = "2025-10-01T10:00:00Z"
SCT="http://snomed.info/sct"; ICD="http://hl7.org/fhir/sid/icd-10"; READ="http://read.info/readv2"; CTV3="http://read.info/ctv3"
EPI="https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ConditionEpisode"
SIG="https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ProblemSignificance-1"
BASE="https://gp.example.nhs.uk/fhir"
def cc(codings=None, text=None):
    r={}
    if codings: r["coding"]=[{"system":s,"code":c,"display":d} for (s,c,d) in codings]
    if text: r["text"]=text
    return r
def cs(sys_,code): return {"coding":[{"system":sys_,"code":code}]}
CLIN="http://terminology.hl7.org/CodeSystem/condition-clinical"
VER="http://terminology.hl7.org/CodeSystem/condition-ver-status"
def cond(pid, cid, codings, text, clin="active", ver="confirmed", onset=None, abate=None, recorded=None,
         episode=None, sig=None, note=None, site=None, cat="problem-list-item", evidence=None):
    r={"resourceType":"Condition","id":cid}
    ext=[]
    if episode: ext.append({"url":EPI,"valueCode":episode})
    if sig: ext.append({"url":SIG,"valueCode":sig})
    if ext: r["extension"]=ext
    if clin: r["clinicalStatus"]=cs(CLIN,clin)
    if ver: r["verificationStatus"]=cs(VER,ver)
    r["category"]=[cs("http://terminology.hl7.org/CodeSystem/condition-category",cat)]
    r["code"]=cc(codings,text)
    if site: r["bodySite"]=[cc(None,site)]
    r["subject"]={"reference":"Patient/"+pid}
    if onset: r["onsetDateTime"]=onset
    if abate: r["abatementDateTime"]=abate
    r["recordedDate"]=recorded or onset or "2015-01-01"
    if evidence: r["evidence"]=[{"detail":[{"display":evidence}]}]
    if note: r["note"]=[{"text":note}]
    return r
# background problem list: (codings, local text, clin, ver, onset, abate, episode, sig, cat)
BG=[
 ([(SCT,"38341003","Hypertensive disorder"),(READ,"G20..","Essential hypertension")],"Essential hypertension","active","confirmed","2012-03-14",None,"first","major","problem-list-item"),
 ([(SCT,"44054006","Diabetes mellitus type 2"),(READ,"C10F.","Type 2 diabetes mellitus")],"Type 2 diabetes mellitus","active","confirmed","2016-06-02",None,"first","major","problem-list-item"),
 ([(SCT,"195967001","Asthma"),(READ,"H33..","Asthma")],"Asthma - childhood","inactive","confirmed","1988-01-01",None,None,"minor","problem-list-item"),
 ([(SCT,"35489007","Depressive disorder")],"Depressive episode","resolved","confirmed","2011-02-10","2012-05-01","first","minor","problem-list-item"),
 ([(SCT,"197480006","Anxiety disorder")],"Anxiety states","active","confirmed","2019-09-19",None,"review","minor","problem-list-item"),
 ([(SCT,"40930008","Hypothyroidism")],"Hypothyroidism","active","confirmed","2014-11-03",None,None,"major","problem-list-item"),
 ([(SCT,"55822004","Hyperlipidemia")],"Hyperlipidaemia","active","confirmed","2016-07-01",None,None,"minor","problem-list-item"),
 ([(SCT,"235595009","Gastroesophageal reflux disease")],"GORD - gastro-oesophageal reflux disease","active","confirmed","2018-04-22",None,"new","minor","problem-list-item"),
 ([(SCT,"37796009","Migraine")],"Migraine","inactive","confirmed","2005-08-01",None,None,"minor","problem-list-item"),
 ([(SCT,"90560007","Gout")],"Gout - R 1st MTPJ","resolved","confirmed","2017-10-09","2017-11-01","first","minor","problem-list-item"),
 ([(SCT,"68566005","Urinary tract infectious disease"),(ICD,"N39.0","Urinary tract infection, site not specified")],"UTI","resolved","confirmed","2021-01-12","2021-01-20","first","minor","encounter-diagnosis"),
 ([(SCT,"128045006","Cellulitis")],"Cellulitis of left lower leg","resolved","confirmed","2019-06-03","2019-06-20","first","minor","problem-list-item"),
 ([(ICD,"J18.9","Pneumonia, unspecified")],"Community acquired pneumonia (hospital episode)","resolved","confirmed","2020-02-11","2020-02-25",None,None,"encounter-diagnosis"),
 ([(SCT,"271737000","Anemia")],"Iron deficiency anaemia","resolved","confirmed","2013-05-05","2013-11-01",None,"minor","problem-list-item"),
 ([(SCT,"57406009","Carpal tunnel syndrome")],"Carpal tunnel syndrome - right","resolved","confirmed","2015-03-01","2016-02-01",None,"minor","problem-list-item"),
 ([(SCT,"202882003","Plantar fasciitis")],"Plantar fasciitis","resolved","confirmed","2018-09-12","2019-03-01","first","minor","problem-list-item"),
 ([(SCT,"202855006","Lateral epicondylitis")],"Tennis elbow L","resolved","confirmed","2016-04-04","2016-10-01",None,"minor","problem-list-item"),
 ([(SCT,"70153002","Hemorrhoids")],"Haemorrhoids","inactive","confirmed","2010-01-20",None,None,"minor","problem-list-item"),
 ([(SCT,"43116000","Eczema")],"Eczema","active","confirmed","1995-01-01",None,None,"minor","problem-list-item"),
 ([(SCT,"61582004","Allergic rhinitis")],"Hay fever","active","confirmed","1999-01-01",None,None,"minor","problem-list-item"),
 (None,"H/O: tonsillectomy","inactive","confirmed","1975-01-01",None,None,"minor","problem-list-item"),
 ([(SCT,"15188001","Hearing loss")],"Hearing loss - bilat, hearing aids","active","confirmed","2020-08-08",None,None,"minor","problem-list-item"),
 ([(SCT,"193570009","Cataract")],"Cataract L eye","resolved","confirmed","2020-01-01","2021-05-17",None,"minor","problem-list-item"),
 ([(SCT,"34713006","Vitamin D deficiency")],"Vit D deficiency","active","confirmed","2022-01-10",None,None,"minor","problem-list-item"),
 ([(SCT,"193462001","Insomnia")],"Insomnia","inactive","confirmed","2019-11-11",None,None,"minor","problem-list-item"),
 ([(SCT,"10743008","Irritable bowel syndrome")],"IBS","active","confirmed","2008-03-03",None,None,"minor","problem-list-item"),
 ([(SCT,"29857009","Chest pain")],"Chest pain - ACS excluded, MSK","resolved","confirmed","2017-12-01","2017-12-02",None,"minor","encounter-diagnosis"),
 ([(SCT,"8517006","Ex-smoker")],"Ex smoker","active","confirmed","2010-01-01",None,None,None,"problem-list-item"),
 ([(SCT,"312894000","Osteopenia")],"Osteopenia (DEXA)","active","confirmed","2021-06-30",None,None,"minor","problem-list-item"),
 ([(ICD,"K80.2","Calculus of gallbladder without cholecystitis")],"Gallstones (hospital)","resolved","confirmed","2015-05-01","2015-09-10",None,None,"encounter-diagnosis"),
 (None,"Varicose veins of lower limbs","active","confirmed","2009-01-01",None,None,"minor","problem-list-item"),
 ([(SCT,"10743008","Irritable bowel syndrome"),(READ,"J521.","Irritable colon")],"Irritable bowel syndrome","active","confirmed","2008-03-03",None,None,"minor","problem-list-item"),
 ([(SCT,"38341003","Hypertensive disorder"),(ICD,"I10","Essential (primary) hypertension")],"Hypertension (secondary care)","active","confirmed","2012-03-14",None,None,None,"encounter-diagnosis"),
 (None,"Seborrhoeic keratosis","resolved","confirmed","2018-01-01","2018-03-01",None,"minor","problem-list-item"),
 ([(SCT,"714628002","Prediabetes")],"Non-diabetic hyperglycaemia","resolved","confirmed","2014-01-01","2016-06-02",None,"minor","problem-list-item"),
 ([(SCT,"197321007","Steatosis of liver")],"Fatty liver (USS)","active","confirmed","2019-02-02",None,None,"minor","problem-list-item"),
 (None,"Hallux valgus bilat","active","confirmed","2012-01-01",None,None,"minor","problem-list-item"),
 (None,"Ingrowing toenail","resolved","confirmed","2016-01-01","2016-02-01",None,"minor","problem-list-item"),
 ([(SCT,"49601007","Disorder of cardiovascular system")],"CVD risk assessment - QRISK3 12%","active","unconfirmed","2023-01-01",None,None,None,"problem-list-item"),
 (None,"Tinnitus","inactive","confirmed","2017-01-01",None,None,"minor","problem-list-item"),
]
def background(pid, n):
    out=[]
    for i in range(n):
        b=BG[i%len(BG)]
        codings,text,clin,ver,onset,abate,epi,sig,cat=b
        out.append(cond(pid,"bg%02d"%i,codings,text,clin,ver,onset,abate,episode=epi,sig=sig,cat=cat))
    return out
BGMEDS=[("Amlodipine 5mg tablets","ONE tablet daily","active","2012-03-20"),
 ("Metformin 500mg tablets","ONE tablet twice a day","active","2016-06-10"),
 ("Atorvastatin 20mg tablets","ONE at night","active","2016-07-05"),
 ("Levothyroxine sodium 75microgram tablets","ONE each morning","active","2014-11-10"),
 ("Omeprazole 20mg gastro-resistant capsules","ONE daily","active","2018-05-01"),
 ("Sertraline 50mg tablets","ONE daily","stopped","2011-02-15"),
 ("Salbutamol 100micrograms/dose inhaler","TWO puffs when required","stopped","2005-01-01"),
 ("Colecalciferol 800unit capsules","ONE daily","active","2022-01-15"),
 ("Flucloxacillin 500mg capsules","ONE four times a day for 7 days","completed","2019-06-03"),
 ("Nitrofurantoin 100mg MR capsules","ONE twice a day for 3 days","completed","2021-01-12"),
]
def med(pid, mid, text, dose, status, authored, rtype="MedicationRequest", reason=None, codings=None):
    r={"resourceType":rtype,"id":mid,"status":status}
    if rtype=="MedicationRequest":
        r["intent"]="order"
    r["medicationCodeableConcept"]=cc(codings,text)
    r["subject"]={"reference":"Patient/"+pid}
    if rtype=="MedicationRequest":
        r["authoredOn"]=authored; r["dosageInstruction"]=[{"text":dose}]
    else:
        r["effectivePeriod"]={"start":authored}; r["dateAsserted"]=authored; r["dosage"]=[{"text":dose}]
    if reason: r["reasonCode"]=[cc(None,reason)]
    return r
def bgmeds(pid):
    return [med(pid,"bgm%02d"%i,*m) for i,m in enumerate(BGMEDS)]
def proc(pid, pid_, text, status, date, site=None, note=None, outcome=None, codings=None, complication=None):
    r={"resourceType":"Procedure","id":pid_,"status":status,"code":cc(codings,text),"subject":{"reference":"Patient/"+pid},"performedDateTime":date}
    if site: r["bodySite"]=[cc(None,site)]
    if outcome: r["outcome"]=cc(None,outcome)
    if complication: r["complication"]=[cc(None,complication)]
    if note: r["note"]=[{"text":note}]
    return r
def bgprocs(pid):
    return [proc(pid,"bgp1","Laparoscopic cholecystectomy","completed","2015-09-10"),
            proc(pid,"bgp2","Phacoemulsification of lens L eye","completed","2021-05-17"),
            proc(pid,"bgp3","Carpal tunnel release - right","completed","2016-02-01")]
def obs(pid, oid, text, date, value=None, unit=None, vstr=None, codings=None, interp=None, site=None):
    r={"resourceType":"Observation","id":oid,"status":"final","code":cc(codings,text),"subject":{"reference":"Patient/"+pid},"effectiveDateTime":date}
    if value is not None: r["valueQuantity"]={"value":value,"unit":unit,"system":"http://unitsofmeasure.org","code":unit}
    if vstr is not None: r["valueString"]=vstr
    if interp: r["interpretation"]=[cc(None,interp)]
    if site: r["bodySite"]=cc(None,site)
    return r
def bmi(pid,v,date="2025-06-01"):
    return obs(pid,"obs-bmi","Body mass index",date,v,"kg/m2",codings=[(SCT,"60621009","Body mass index")])
def bundle(res):
    return {"resourceType":"Bundle","type":"searchset","total":len(res),"entry":[{"fullUrl":"%s/%s/%s"%(BASE,r["resourceType"],r["id"]),"resource":r,"search":{"mode":"match"}} for r in res]}
def sr(pid, sid, text, codings=None, site=None, reason=None, note=None):
    r={"resourceType":"ServiceRequest","id":sid,"status":"draft","intent":"order","code":cc(codings,text),
       "subject":{"reference":"Patient/"+pid},"encounter":{"reference":"Encounter/enc-"+pid},"authoredOn":"2025-10-01T09:40:00Z",
       "requester":{"reference":"Practitioner/pract-h136-gp"}}
    if site: r["bodySite"]=[cc(None,site)]
    if reason: r["reasonCode"]=[cc(None,reason) if isinstance(reason,str) else reason]
    if note: r["note"]=[{"text":note}]
    return r
def write(name, pid, order, conds, meds=None, procs=None, observations=None, nbg=30, desc="", cards=None, decisions=None, hook="order-select", gender="female", birth="1962-04-11"):
    d=os.path.join(OUT,name); os.makedirs(d,exist_ok=True)
    allc=background(pid,nbg)
    # interleave signal entries among background
    pos=[len(allc)//3, (2*len(allc))//3, len(allc)//2, len(allc)//4, len(allc)-1]
    for i,c in enumerate(conds):
        allc.insert(min(pos[i%len(pos)]+i, len(allc)), c)
    m = bgmeds(pid) + (meds or [])
    p = bgprocs(pid) + (procs or [])
    o = observations if observations is not None else [bmi(pid,27.1)]
    req={"hookInstance":"h136-%s"%name[:40],"hook":hook,"fhirServer":BASE,
         "context":{"userId":"Practitioner/pract-h136-gp","patientId":pid,"encounterId":"enc-"+pid,
                    **({"selections":["ServiceRequest/"+order["id"]]} if hook=="order-select" else {}),
                    "draftOrders":{"resourceType":"Bundle","type":"collection","entry":[{"resource":order}]}},
         "prefetch":{"patient":{"resourceType":"Patient","id":pid,"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
                                "name":[{"use":"official","family":"Testpatient","given":["Jo"]}],"gender":gender,"birthDate":birth},
                     "conditions":bundle(allc),"procedures":bundle(p),"observations":bundle(o),"medications":bundle(m)}}
    json.dump(req,open(os.path.join(d,"request.json"),"w"),indent=1)
    exp={"description":desc+" Expected written from the seed before running (H136 blind, long GP record of %d Conditions)."%len(allc),
         "now":NOW,"status":200,"cards":cards or [],"decisions":decisions or []}
    if hook=="order-sign": pass
    json.dump(exp,open(os.path.join(d,"expected.json"),"w"),indent=1)
