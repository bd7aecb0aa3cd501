"""lss-pathway: explainable decision support for lumbar spinal stenosis and mild candidacy."""

__version__ = "0.1.0"
