"""Population screening: the columnar projection of the record as Parquet tables, and data to screen.

The rule-set compiler comes later; this package holds the data side: the Arrow schema of each table
(``columns``) and a seeded synthetic population (``synthetic``).
"""
