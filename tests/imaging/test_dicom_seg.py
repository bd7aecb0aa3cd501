"""Metamorphic: a label map written as DICOM-SEG on an oblique grid and read back gives the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

hd = pytest.importorskip("highdicom", reason="DICOM-SEG needs highdicom (the 'imaging' extra)")

from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid  # noqa: E402

from lss_pathway.imaging.phantom import Tube, make_grid, rotation, spine_phantom  # noqa: E402
from lss_pathway.imaging.pipeline import measure_study  # noqa: E402
from lss_pathway.imaging.profiles import load_profile  # noqa: E402
from lss_pathway.imaging.volume import load_study, study_from_arrays  # noqa: E402

PROFILE = load_profile("manual")


def _source(frame_uid: str) -> Dataset:
    """A minimal CT instance: the study and patient the segmentation refers to."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = frame_uid
    ds.Modality = "CT"
    ds.PatientID = "PHANTOM"
    ds.PatientName = "Phantom^Spine"
    for empty in (
        "PatientBirthDate",
        "PatientSex",
        "StudyDate",
        "StudyTime",
        "ReferringPhysicianName",
        "AccessionNumber",
        "StudyID",
    ):
        setattr(ds, empty, "")
    ds.Manufacturer = "lss-pathway"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]  # a patient coordinate system, as a CT image has
    ds.ImagePositionPatient = [0, 0, 0]
    ds.PixelSpacing = [1, 1]
    ds.SliceThickness = 1
    ds.PixelData = np.zeros((4, 4), np.uint16).tobytes()
    return ds


def write_dicom_seg(labels: Any, affine: Any, path: Path) -> None:
    """Each label as one segment named 'label N', on the label map's own (RAS) grid, converted to LPS."""
    present = [int(v) for v in np.unique(labels) if v]
    numbers = np.zeros(labels.shape, np.uint8)
    for n, value in enumerate(present):
        numbers[labels == value] = n + 1
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine
    lps[:, :3] = lps[:, [2, 1, 0]]  # highdicom volumes index (slice, row, column)
    frame_uid = generate_uid()
    volume = hd.Volume(
        np.transpose(numbers, (2, 1, 0)), lps, coordinate_system="PATIENT", frame_of_reference_uid=frame_uid
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=n + 1,
            segment_label=f"label {value}",
            segmented_property_category=codes.SCT.AnatomicalStructure,
            segmented_property_type=codes.SCT.Spine,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for n, value in enumerate(present)
    ]
    seg = hd.seg.Segmentation(
        [_source(frame_uid)],
        volume,
        hd.seg.SegmentationTypeValues.BINARY,
        descriptions,
        generate_uid(),
        100,
        generate_uid(),
        1,
        "lss-pathway",
        "phantom",
        "0.1",
        "1",
    )
    seg.save_as(str(path))


def test_oblique_dicom_seg_round_trip_gives_the_same_numbers(tmp_path: Path) -> None:
    grid = make_grid((0.8, 0.8, 2.0), orientation=rotation(10.0, -7.0))
    phantom = spine_phantom(
        grid,
        Tube(area_mm2=90.0, tilt_deg=(5.0, 12.0)),
        soft=False,
        lf_thickness_mm={"left": 3.0, "right": 5.0},
    )
    direct = measure_study(study_from_arrays([phantom.labels], grid.affine, PROFILE, "array"), PROFILE)
    path = tmp_path / "seg.dcm"
    write_dicom_seg(phantom.labels, grid.affine, path)
    back = measure_study(load_study([path], PROFILE), PROFILE)
    assert [lv.name for lv in back.levels] == [lv.name for lv in direct.levels] == ["L4-L5"]
    a, b = direct.levels[0], back.levels[0]
    for x, y in ((a.canal_area_min, b.canal_area_min), (a.ap_diameter, b.ap_diameter)):
        assert x.value is not None and y.value == pytest.approx(x.value, rel=1e-6)
    for sx, sy in zip(a.sides, b.sides, strict=True):
        assert sx.lf_thickness.value is not None
        assert sy.lf_thickness.value == pytest.approx(sx.lf_thickness.value, abs=1e-6)
