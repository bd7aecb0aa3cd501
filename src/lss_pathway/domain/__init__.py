"""The patient record: typed facts in which every value may be unknown (``None``)."""
