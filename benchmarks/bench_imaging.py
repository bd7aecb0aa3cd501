"""Benchmark and full accuracy matrix for the imaging edge.

``python benchmarks/bench_imaging.py``: seconds per study (all five lumbar levels, both sides, loaded from
a NIfTI label map) for a 512x512x60 axial stack (0.6x0.6x3 mm) and a 1 mm isotropic volume
(256x256x180), on one core, median of 3, each beside a floor measured in the same run (loading the same
file with nibabel and one full-volume numpy pass over it), as a ratio; in wall-clock and in CPU seconds.

``python benchmarks/bench_imaging.py --accuracy``: the full phantom matrix (voxel sets x tilts x shapes x
areas x soft/binary, plus permutations and flips) the tests only sample, reported in QIBA's terms:
bias (mean % error), precision (SD of % error), linearity (slope, intercept, R² of measured on true)
and how often the interval holds the true value.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core, before numpy loads
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402

from lss_pathway.imaging.phantom import Tube, make_grid, spine_phantom  # noqa: E402
from lss_pathway.imaging.pipeline import measure_study  # noqa: E402
from lss_pathway.imaging.profiles import load_profile  # noqa: E402
from lss_pathway.imaging.volume import load_study, study_from_arrays  # noqa: E402

LUMBAR = ("L1", "L2", "L3", "L4", "L5", "S1")
PROFILE = load_profile("manual")


def _study_file(folder: Path, shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> Path:
    """A five-level phantom built on a crop around the spine and placed in a full-size empty volume."""
    crop = make_grid(
        spacing,
        extent_mm=((-24, 24), (-22, 34), (-(shape[2] - 1) * spacing[2] / 2, (shape[2] - 1) * spacing[2] / 2)),
    )
    phantom = spine_phantom(
        crop,
        Tube(area_mm2=90.0, tilt_deg=(8.0, 0.0)),
        vertebrae=LUMBAR,
        soft=False,
        disc_height_mm=8.0,
        body_height_mm=min(20.0, (shape[2] * spacing[2] - 60) / 6),
        lf_thickness_mm={"left": 3.0, "right": 4.5},
        lf_angle_deg=20.0,
    )
    full = np.zeros(shape, dtype=np.int16)
    i0 = (shape[0] - crop.shape[0]) // 2
    j0 = (shape[1] - crop.shape[1]) // 2
    full[i0 : i0 + crop.shape[0], j0 : j0 + crop.shape[1], : crop.shape[2]] = phantom.labels[:, :, : shape[2]]
    affine = crop.affine.copy()
    affine[:3, 3] -= affine[:3, :3] @ np.array([i0, j0, 0])
    path = folder / f"study_{shape[0]}x{shape[1]}x{shape[2]}.nii.gz"
    nib.save(nib.Nifti1Image(full, affine), str(path))
    return path


def _median(step: object, repeats: int = 3, clock: object = time.perf_counter) -> float:
    samples = []
    for _ in range(repeats):
        start = clock()  # type: ignore[operator]
        step()  # type: ignore[operator]
        samples.append(clock() - start)  # type: ignore[operator]
    return statistics.median(samples)


def timing() -> None:
    cases = {
        "512x512x60 @ 0.6x0.6x3 mm": ((512, 512, 60), (0.6, 0.6, 3.0)),
        "256x256x180 @ 1 mm isotropic": ((256, 256, 180), (1.0, 1.0, 1.0)),
    }
    with tempfile.TemporaryDirectory() as folder:
        # CPU seconds beside wall seconds: on a shared machine the wall clock also counts other people's work
        print(
            f"{'volume':32} {'study s':>9} {'floor s':>9} {'ratio':>7} {'cpu s':>7} {'cpu floor':>9} "
            f"{'ratio':>7}  levels measured"
        )
        for name, (shape, spacing) in cases.items():
            path = _study_file(Path(folder), shape, spacing)

            def study(path: Path = path) -> object:
                return measure_study(load_study([path], PROFILE), PROFILE)

            def floor(path: Path = path) -> object:
                data = np.asanyarray(nib.load(str(path)).dataobj)
                return np.count_nonzero(data)

            result = study()  # warm up (imports) and check what was measured
            measured = sum(lv.canal_area_min.known for lv in result.levels)
            lf = sum(s.lf_thickness.known for lv in result.levels for s in lv.sides)
            seconds, base = _median(study), _median(floor)
            cpu, cpu_base = _median(study, clock=time.process_time), _median(floor, clock=time.process_time)
            print(
                f"{name:32} {seconds:9.2f} {base:9.2f} {seconds / base:7.1f} {cpu:7.2f} {cpu_base:9.2f} "
                f"{cpu / cpu_base:7.1f}  {measured}/{len(result.levels)} canal, {lf} LF sides"
            )


def accuracy() -> None:
    voxels = [(1.0, 1.0, 1.0), (0.6, 0.6, 3.0), (0.5, 1.0, 4.0)]
    tilts = [(0.0, 0.0), (15.0, 0.0), (30.0, 0.0), (0.0, 30.0), (20.0, 20.0)]
    shapes = [{"aspect": 0.7}, {"aspect": 1.0}, {"irregular": (0.12, 0.08)}]
    areas = [40.0, 75.0, 100.0, 150.0, 200.0]
    for soft in (True, False):
        truth, measured, covered = [], [], 0
        for spacing in voxels:
            grid = make_grid(spacing)
            for tilt in tilts:
                for shape in shapes:
                    for area in areas:
                        tube = Tube(area_mm2=area, tilt_deg=tilt, **shape)  # type: ignore[arg-type]
                        phantom = spine_phantom(grid, tube, soft=soft)
                        study = study_from_arrays(
                            [phantom.labels], grid.affine, PROFILE, "phantom", crop=False
                        )
                        study.canal = phantom.canal
                        m = measure_study(study, PROFILE).levels[0].canal_area_min
                        if m.value is None:
                            print("unknown:", spacing, tilt, shape, area, m.reason)
                            continue
                        truth.append(area)
                        measured.append(m.value)
                        covered += int(m.low is not None and m.high is not None and m.low <= area <= m.high)
        t, v = np.array(truth), np.array(measured)
        err = 100 * (v - t) / t
        slope, intercept = np.polyfit(t, v, 1)
        r2 = float(np.corrcoef(t, v)[0, 1] ** 2)
        print(
            f"{'soft' if soft else 'binary'}: n={len(t)} bias {err.mean():+.2f}% "
            f"precision (SD) {err.std(ddof=1):.2f}% max |error| {np.abs(err).max():.2f}% "
            f"linearity slope {slope:.4f} intercept {intercept:+.2f} mm² "
            f"R² {r2:.5f}; interval holds truth {covered}/{len(t)}"
        )


def lf_accuracy() -> None:
    """LF bands 1.5-8 mm thick, turned 0-60° in the axial plane (and 20° out of it on isotropic voxels)."""
    from lss_pathway.imaging.flavum import thickness
    from lss_pathway.imaging.phantom import Band, rasterise, rotation
    from lss_pathway.imaging.volume import Study

    extent = ((-12.0, 12.0), (-12.0, 12.0), (-12.0, 12.0))
    for soft in (True, False):
        for spacing in [(1.0, 1.0, 1.0), (0.5, 0.5, 0.5), (0.6, 0.6, 3.0)]:
            errors, covered = [], 0
            grid = make_grid(spacing, extent_mm=extent)
            empty = np.zeros(grid.shape, dtype=np.int32)
            for true_mm in (1.5, 2.5, 3.0, 4.0, 5.5, 8.0):
                for angle in (0.0, 15.0, 30.0, 45.0, 60.0):
                    tilt = 0.0 if max(spacing) / min(spacing) > 1.5 else 20.0
                    c, s_ = np.cos(np.radians(angle)), np.sin(np.radians(angle))
                    turn = np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]])
                    normal = rotation(tilt, 0.0) @ turn @ np.array([0.0, 1.0, 0.0])
                    band = Band((0.3, -0.2, 0.1), tuple(normal), true_mm, 9.0, 9.0)  # type: ignore[arg-type]
                    mask = rasterise(grid, band.signed, soft)
                    m = thickness(Study(grid.affine, grid.shape, None, empty, empty), mask, soft)
                    if m.value is None:
                        print("unknown:", spacing, true_mm, angle, m.reason)
                        continue
                    errors.append(m.value - true_mm)
                    covered += int(m.low is not None and m.high is not None and m.low <= true_mm <= m.high)
            e = np.array(errors)
            print(
                f"LF {'soft' if soft else 'binary'} {spacing}: n={len(e)} bias {e.mean():+.3f} mm "
                f"SD {e.std(ddof=1):.3f} mm max |error| {np.abs(e).max():.3f} mm; "
                f"interval holds truth {covered}/{len(e)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accuracy", action="store_true", help="run the full canal-area phantom matrix")
    parser.add_argument("--lf-accuracy", action="store_true", help="run the full LF band matrix")
    args = parser.parse_args()
    if args.accuracy:
        accuracy()
    if args.lf_accuracy:
        lf_accuracy()
    if not (args.accuracy or args.lf_accuracy):
        timing()


if __name__ == "__main__":
    main()
