"""Rubrics: the model and its checks, importing a .docx/.pdf, public data sets as rubrics and samples."""
