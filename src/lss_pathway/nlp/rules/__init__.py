"""The report reader's rules as data: a lexicon of cues and targets, and the report structure."""
