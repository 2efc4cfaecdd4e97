"""A stored yesno run with one wording's probabilities in place of the default's: each point's
P(yes) (`p_model`) and its anchor (`p_anchor`) become the wording's, from probes.jsonl, so the
project's own tools (grader calibrate, evals/experiments/gaming/train_sets.py) measure the
wording as if it were the default prompt. Answers the wording was not asked about are left out.
No model calls; from the project root:

    python evals/experiments/prompt-wording/substitute.py WORDING RUN OUT.json
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from analyse import shares  # noqa: E402


def main(wording: str, run_path: str, out_path: str) -> None:
    probes = {}
    for line in (HERE / "probes.jsonl").read_text().splitlines():
        d = json.loads(line)
        if d["probe"] == wording:
            probes[(d["answer_id"], d["point"])] = shares(d["top"])[0]
    record = json.loads(Path(run_path).read_text())
    kept = []
    for prediction in record["predictions"]:
        if prediction["status"] != "scored":
            continue
        points = prediction["points"]
        if not all((prediction["answer_id"], p["id"]) in probes for p in points):
            continue
        for p in points:
            p["p_model"] = probes[(prediction["answer_id"], p["id"])]
            p["p_anchor"] = probes[(f"anchor:{prediction['question_id']}", p["id"])]
        kept.append(prediction)
    record["predictions"] = kept
    record["n_samples"] = len(kept)
    record["run_id"] = f"{record['run_id']}-{wording}"
    Path(out_path).write_text(json.dumps(record, ensure_ascii=False))
    print(f"{out_path}: {len(kept)} answers with the {wording!r} wording's probabilities")


if __name__ == "__main__":
    main(*sys.argv[1:])
