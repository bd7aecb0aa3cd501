"""DICOM-SEG input (highdicom): a segmentation object read back as a label map on its own grid.

Segments become labels: a segment labelled ``label N`` (as this project writes them) keeps label ``N``;
any other segment keeps its segment number, so a profile for a third-party DICOM-SEG names segment
numbers. The volume's affine is in DICOM patient coordinates (LPS); it is turned into RAS, the convention
of NIfTI and of the rest of this edge, and then treated exactly like a NIfTI label map.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

LPS_TO_RAS = (-1.0, -1.0, 1.0, 1.0)
_LABEL = re.compile(r"^label (\d+)$")


def read_dicom_seg(path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """(RAS affine, label array) of a DICOM Segmentation; raises ValueError when it is not one."""
    import highdicom as hd
    import numpy as np

    seg = hd.seg.segread(str(path))
    volume = seg.get_volume(combine_segments=True, relabel=False)
    numbers = np.asarray(volume.array, dtype=np.int32)
    labels = np.zeros_like(numbers)
    for number in seg.segment_numbers:
        match = _LABEL.match(str(seg.get_segment_description(number).segment_label))
        labels[numbers == number] = int(match.group(1)) if match else number
    affine = np.diag(LPS_TO_RAS) @ np.asarray(volume.affine, dtype=np.float64)
    return affine, labels


def is_dicom(path: Path) -> bool:
    """DICOM files carry 'DICM' after a 128-byte preamble, whatever their name."""
    try:
        with path.open("rb") as handle:
            return handle.read(132)[128:] == b"DICM"
    except OSError:
        return False
