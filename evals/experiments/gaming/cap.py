"""Experiment: cap the points of an answer the topic-list detector flags (covered -> partial, and
with "two" also partial -> missing), with the rubric-copy + topic-list combiner fitted on all tuning
answers. Prints point kappa, QWK, MAE gaming, MAE counter-cases, MAE rest for no cap / one / two,
on the fixed 2 folds and 12 random splits (tuning data only). From the project root:

    python evals/experiments/gaming/cap.py SEED_SAMPLES SEED_RUN GAMING_SAMPLES GAMING_RUN
"""
import sys, statistics
sys.path.insert(0, 'evals/experiments/gaming')
sys.path.insert(0, 'evals/experiments')
from analyse import load, GAMING, COUNTER, mae
from handgraded import anchors
from grader.grading.calibration import cross_validate, question_folds
from grader.grading.combiner import FORM_FEATURES
from grader.evaluation.metrics import compute_metrics
from grader.grading.gaming import looks_like_topic_list
from grader.grading.routing import rubric_texts
from grader.grading.results import Verdict
from grader.grading.scoring import question_score
rubric, samples, preds = load(list(zip(sys.argv[1::2], sys.argv[2::2])))
names = FORM_FEATURES
qs=sorted({s.question_id for s in samples})
by={s.id:s for s in samples}
def cap(oof, mode):
    out={}
    for i,g in oof.items():
        s=by[i]; q=rubric.question(s.question_id)
        if mode and g.status=="scored" and looks_like_topic_list(s.answer, rubric_texts(q)):
            pts=[p.model_copy(update={"verdict": Verdict.partial if p.verdict is Verdict.covered else (Verdict.missing if mode=="two" else p.verdict)}) for p in g.points]
            g=g.model_copy(update={"points":pts,"score":question_score({p.id:p.verdict for p in pts},{p.id:p.weight for p in q.points})})
        out[i]=g
    return out
for label, splits in (("fixed",[question_folds(qs,2)]),("random12",anchors.random_splits(qs))):
    res={m:[] for m in (None,"one","two")}
    for sp in splits:
        oof,_=cross_validate(rubric,samples,preds,combine=True,names=names,held_out_sets=sp)
        for mode in res:
            mt=compute_metrics(rubric,samples,cap(oof,mode),resamples=2)
            res[mode].append((mt["point_kappa"],mt["score_qwk"],mae(mt,GAMING),mae(mt,COUNTER),mae(mt,set(mt["by_kind"])-set(GAMING)-set(COUNTER))))
    for mode,r in res.items():
        print(label, mode, " ".join(f"{statistics.mean(x[i] for x in r):.3f}" for i in range(5)))
