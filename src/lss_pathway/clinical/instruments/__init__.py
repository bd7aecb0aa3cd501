"""Clinical instruments: diagnosis-support scores, checklists and outcome questionnaires.

Weights, cut-offs and likelihood ratios are packaged data with their citation and verification tag.
No questionnaire wording is stored: items are identified by id with a short paraphrased label.
"""
