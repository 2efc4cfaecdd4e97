"""Generalities per 100 characters (`grader.grading.gaming.generality_rate`) by kind of answer,
and which answers a long-ramble rule would route at each length and rate threshold. Tuning data
only (the hand-graded set and the gaming set's tuning part; never the sealed third). No model
calls; from the project root:

    python -m evals.experiments gaming/ramble.py > evals/experiments/gaming/ramble.txt
"""

import argparse
from collections import defaultdict

from evals.experiments.common import ROOT, SEED_SAMPLES, add_size_options, samples_of, seed_rubric
from grader.grading.gaming import generality_rate, looks_like_generic_ramble

TUNING = [SEED_SAMPLES, ROOT / "evals/samples/gaming.jsonl"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_options(parser, splits=False)
    args = parser.parse_args(argv)
    rubric = seed_rubric()
    samples = [s for path in TUNING for s in samples_of(rubric, path, args.answers)]
    print("Generalities per 100 characters, answers of 150 characters or more, by kind")
    print("| kind | n (>= 150 chars) | min | mean | max |")
    print("|---|---|---|---|---|")
    rates = defaultdict(list)
    for s in samples:
        if len(s.answer) >= 150:
            rates[s.kind].append(generality_rate(s.answer))
    for kind, values in sorted(rates.items()):
        print(f"| {kind} | {len(values)} | {min(values):.2f} | {sum(values) / len(values):.2f} | {max(values):.2f} |")
    print()
    print("Routed by the rule alone (length >= chars and rate >= generality), by kind (only kinds with a route shown)")
    for chars in (200, 250, 300):
        for generality in (0.8, 1.0, 1.2, 1.5, 2.0):
            routed = defaultdict(int)
            for s in samples:
                routed[s.kind] += looks_like_generic_ramble(s.answer, min_chars=chars, generality=generality)
            shown = ", ".join(f"{k} {n}" for k, n in sorted(routed.items()) if n)
            print(f"chars {chars} generality {generality:.1f}: {sum(routed.values())} routed: {shown}")


if __name__ == "__main__":
    main()
