#!/usr/bin/env bash
# Reproduces every figure in README.md. Step 1 needs the offline model (hours of CPU on 2 cores);
# steps 2-3 read only stored probabilities (minutes). Run from the repository root.
set -euo pipefail
X=evals/experiments/review-learning
D=/tmp/rl   # the data stay outside the project (licences); any folder will do
S=../shared/datasets

step=${1:-all}
if [[ $step == grade || $step == all ]]; then
  grader data semeval $S/semeval2013-task7/merged/beetle_test-unseen-answers.jsonl --out $D/beetle_test
  grader data semeval $S/semeval2013-task7/merged/beetle_train.jsonl --out $D/beetle_train
  grader data sas $S/sas-zh/normalized/ADS.train.jsonl --out $D/ads_all
  python $X/make_review_sets.py beetle $D/beetle_test/samples.jsonl $D/beetle_train/samples.jsonl $D/beetle
  python $X/make_review_sets.py sas $D/ads_all/samples.jsonl $D/ads --test-per-question 8
  for part in test reviews-a; do   # reviews-b (answers 11-20 of each question) was not graded: no CPU left
    grader eval --rubric $D/beetle_test/rubric.yaml --samples $D/beetle/$part.jsonl --runs-dir $X/runs --json > /dev/null
  done
  # ADS: only the test part was graded in time (reviews-1/-2 were not): its curves are leave-one-answer-out
  grader eval --rubric $D/ads_all/rubric.yaml --samples $D/ads/test.jsonl --runs-dir $X/runs --json > /dev/null
fi
cd $X
CANDIDATES=${CANDIDATES:-today,pooled,halfway,shrunk,shrunk-s30,offset,offset-sd1,nn-shrunk,nn-halfway,comb-shrunk,comb-halfway}
ADOPTED=${ADOPTED:-today,halfway,nn-halfway}
ks() {  # the k each set can give: the hand-graded set has 8 answers a question (5 drawable beside the held-out one and the sealed ones)
  case $1 in handgraded|ads-loao) echo 0,3,5;; gaming) echo 0,3,5,8;; *) echo 0,3,5,10;; esac
}
if [[ $step == tune || $step == all ]]; then
  for set in beetle ads-loao handgraded gaming; do
    python curves.py --set $set --methods $CANDIDATES --ks $(ks $set) --json outputs/rows.jsonl > outputs/$set-tune.txt
  done
fi
if [[ $step == sealed || $step == all ]]; then   # once, for the adopted method (and today and the baseline beside it)
  for set in beetle ads-loao handgraded gaming; do
    python curves.py --set $set --methods $ADOPTED --ks $(ks $set) --sealed --json outputs/rows.jsonl > outputs/$set-sealed.txt
  done
fi
