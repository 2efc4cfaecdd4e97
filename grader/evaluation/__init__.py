"""Measuring the grader against hand-labelled samples: samples, metrics, run records, the regression gate, calibration runs and the HTML report."""
