"""Grading one answer: prompts, strategies, anchors, calibration, combiner, evidence check, injection removal, routing, scoring, and the typed results."""
