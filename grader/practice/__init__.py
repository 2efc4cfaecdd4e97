"""A candidate's self-check: feedback on one answer, and its local web page."""
