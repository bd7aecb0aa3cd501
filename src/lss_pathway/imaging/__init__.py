"""Imaging edge: canal area per level and ligamentum flavum thickness per side, measured from a label map.

The heavy libraries (numpy, scipy, nibabel, highdicom) are imported inside the functions that need them,
so that importing this package (e.g. by the CLI) costs nothing when nothing is measured. Every measured
value carries its uncertainty interval, method, tilt, voxel size and source; a value that cannot be
measured is reported with the reason instead.
"""
