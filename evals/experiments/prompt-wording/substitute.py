"""A stored yesno run with one wording's probabilities in place of the default's: each point's
P(yes) (`p_model`) and its anchor (`p_anchor`) become the wording's, from probes.jsonl, so the
project's own tools (grader calibrate, evals/experiments/gaming/train_sets.py) measure the
wording as if it were the default prompt. Answers the wording was not asked about are left out.
No model calls; from the project root:

    python -m evals.experiments prompt-wording/substitute.py WORDING RUN OUT.json
"""

import argparse
import json
from pathlib import Path

from evals.experiments.common import read_jsonl, shares

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wording", help="a wording in probes.jsonl")
    parser.add_argument("run", help="a yesno run record")
    parser.add_argument("out", help="where to write the substituted record")
    args = parser.parse_args(argv)
    wording, run_path, out_path = args.wording, args.run, args.out
    probes = {}
    for d in read_jsonl(HERE / "probes.jsonl"):
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
    main()
