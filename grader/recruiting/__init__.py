"""Grading many candidates: reading their answers, the run store, the concurrent and Batch API runners, ranking, reports and the review queue."""
