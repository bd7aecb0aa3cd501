"""``lss measure``: measure a segmentation (or a generated phantom) and print the report.

Kept apart from the main CLI so that the imaging libraries load only when this command runs; the main
CLI registers :func:`measure_command` with one line. Exit codes follow the main CLI: 2 for bad input.
"""

from __future__ import annotations

import json
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from lss_pathway.domain.record import PatientRecord
    from lss_pathway.imaging.measurement import Measured, StudyMeasurement
    from lss_pathway.imaging.merge import Merged
    from lss_pathway.imaging.pipeline import SectionImage
    from lss_pathway.report.outline import CanalOutline

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)
LARGE_VOXELS = 4_000_000  # above this many voxels, show what is being done


class MeasureFormat(StrEnum):
    table = "table"
    json = "json"


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    raise typer.Exit(2)


def _imaging_libraries() -> None:
    try:
        import nibabel  # noqa: F401
        import scipy  # noqa: F401
    except ImportError:
        _fail("imaging needs the 'imaging' extra: pip install 'lss-pathway[imaging]'")


def measure_files(
    paths: list[Path],
    profile_name: str,
    image: Path | None = None,
    *,
    show_progress: bool = True,
    sections: list[SectionImage] | None = None,
) -> StudyMeasurement:
    """Load the label maps and measure them, with progress on stderr for large volumes.

    ``show_progress=False`` keeps stderr silent (``--format json``, whose output is usually piped).
    """
    _imaging_libraries()
    from lss_pathway.imaging.pipeline import measure_study
    from lss_pathway.imaging.profiles import ProfileError, load_profile
    from lss_pathway.imaging.volume import SegmentationError, check_image_grid, load_study

    try:
        profile = load_profile(profile_name)
        study = load_study(paths, profile)
        if image is not None:
            check_image_grid(study, image)
    except (ProfileError, SegmentationError) as exc:
        _fail(str(exc))
    full = study.full_shape or study.shape
    if not show_progress or full[0] * full[1] * full[2] < LARGE_VOXELS:
        return measure_study(study, profile, sections=sections)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task(f"measuring {'x'.join(map(str, full))} voxels", total=None)
        return measure_study(
            study,
            profile,
            progress=lambda text: bar.update(task, description=f"{text}..."),
            sections=sections,
        )


def canal_outlines(sections: list[SectionImage]) -> list[CanalOutline]:
    """The report's plain outline data from the measured sections."""
    from lss_pathway.report.outline import CanalOutline

    return [
        CanalOutline(
            s.level, float(s.area.value), s.area.low, s.area.high, s.area.method, s.occupancy, s.step_mm
        )
        for s in sections
        if s.area.value is not None
    ]


def write_outline_figure(sections: list[SectionImage], path: Path) -> None:
    from lss_pathway.report.outline import outline_figure_svg

    try:
        path.write_text(outline_figure_svg(canal_outlines(sections)), encoding="utf-8")
    except OSError as exc:
        _fail(f"{path}: cannot be written ({exc.strerror})")
    err.print(f"wrote {path}")


def demo_files(folder: Path) -> list[Path]:
    """A five-level phantom (soft canal, LF bands) written as a manual-profile label map."""
    import nibabel as nib

    from lss_pathway.imaging.phantom import Tube, make_grid, spine_phantom

    grid = make_grid((0.8, 0.8, 0.8), extent_mm=((-22, 22), (-22, 32), (-50, 50)))
    phantom = spine_phantom(
        grid,
        Tube(area_mm2=95.0, aspect=0.75, tilt_deg=(12.0, 0.0)),
        vertebrae=("L3", "L4", "L5", "S1"),
        soft=False,
        lf_thickness_mm={"left": 3.0, "right": 5.0},
        lf_angle_deg=20.0,
    )
    path = folder / "demo_seg.nii.gz"
    nib.save(nib.Nifti1Image(phantom.labels, grid.affine), str(path))  # type: ignore[no-untyped-call]
    return [path]


def render_table(study: StudyMeasurement) -> tuple[Table, list[str]]:
    """The table, with each distinct reason for an unknown value given once, as a numbered note."""
    reasons: list[str] = []

    def cell(m: Measured) -> str:
        if m.known:
            return m.interval_text()
        reason = m.reason or "not measured"
        if reason not in reasons:
            reasons.append(reason)
        return f"unknown [{reasons.index(reason) + 1}]"

    table = Table(title=f"{study.source} ({study.profile}; {study.method})", show_lines=True)
    for column in (
        "level",
        "canal area, narrowest",
        "at disc mid-plane",
        "AP diameter",
        "LF left",
        "LF right",
    ):
        table.add_column(column)
    for lm in study.levels:
        sides = {s.side: s for s in lm.sides}
        lf = []
        for side in ("left", "right"):
            s = sides.get(side)
            text = "" if s is None else cell(s.lf_thickness)
            if s is not None and s.proxy_gap is not None and s.proxy_gap.known:
                text += f"\nproxy gap {s.proxy_gap.interval_text()} (not LF)"
            lf.append(text)
        name = lm.name + ("" if lm.level else "\n(not a record level)")
        table.add_row(name, cell(lm.canal_area_min), cell(lm.canal_area_midplane), cell(lm.ap_diameter), *lf)
    return table, [f"[{n}] {r}" for n, r in enumerate(reasons, start=1)]


def measure_command(
    segmentation: Annotated[
        list[Path] | None, typer.Argument(help="Label map(s) of one study, NIfTI (.nii / .nii.gz)")
    ] = None,
    profile: Annotated[str, typer.Option("--profile", "-p", help="Label profile (see docs).")] = "manual",
    image: Annotated[
        Path | None, typer.Option("--image", help="The source image, to check that the grids match.")
    ] = None,
    fmt: Annotated[MeasureFormat, typer.Option("--format", "-f")] = MeasureFormat.table,
    ruleset: Annotated[
        str | None, typer.Option("--ruleset", "-r", help="Also show which values a rule set could use.")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Generate a phantom and measure it.")] = False,
    figure: Annotated[
        Path | None, typer.Option("--figure", help="Write each level's canal outline as SVG to this file.")
    ] = None,
) -> None:
    """Measure canal area per level and LF thickness per side from a segmentation."""
    chatty = fmt is MeasureFormat.table
    sections: list[SectionImage] | None = [] if figure is not None else None
    if demo:
        _imaging_libraries()
        if chatty:
            err.print("demo phantom: canal 95 mm² tilted 12°, LF left 3.0 mm and right 5.0 mm (binary mask)")
        with tempfile.TemporaryDirectory() as folder:
            study = measure_files(demo_files(Path(folder)), "manual", show_progress=chatty, sections=sections)
    elif not segmentation:
        _fail("give a segmentation file, or --demo")
    else:
        study = measure_files(segmentation, profile, image, show_progress=chatty, sections=sections)
    if figure is not None and sections is not None:
        write_outline_figure(sections, figure)
    merged = _merge_empty(study, ruleset) if ruleset else None
    if fmt is MeasureFormat.json:
        payload: dict[str, Any] = study.to_dict()
        if merged is not None:
            payload["record_facts"] = [d.to_dict() for d in merged.decisions]
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    table, reasons = render_table(study)
    out.print(table)
    for line in reasons:
        out.print(line)
    for note in study.notes:
        out.print(f"note: {note}")
    if merged is not None:
        for d in merged.decisions:
            out.print(f"{d.path}: {d.outcome} ({d.detail})")


def _rules(ruleset: str) -> Any:
    from lss_pathway.rulesets.catalog import RuleSetError, load_ruleset

    try:
        return load_ruleset(ruleset)
    except RuleSetError as exc:
        _fail(str(exc))


def _merge_empty(study: StudyMeasurement, ruleset: str) -> Merged:
    from lss_pathway.domain.record import PatientRecord
    from lss_pathway.imaging.merge import merge_measurements

    return merge_measurements(PatientRecord(), study, _rules(ruleset))


def merge_segmentation(
    record: PatientRecord,
    paths: list[Path],
    profile: str,
    ruleset: str,
    sections: list[SectionImage] | None = None,
) -> PatientRecord:
    """For ``lss assess --segmentation`` (and ``lss report``): measure, merge, report every decision on
    stderr; given a ``sections`` list, each level's narrowest section is added to it for the figure."""
    from lss_pathway.imaging.merge import merge_measurements

    study = measure_files(paths, profile, sections=sections)
    merged = merge_measurements(record, study, _rules(ruleset))
    for d in merged.decisions:
        style = "bold yellow" if d.outcome == "conflict" else "dim"
        err.print(f"[{style}]measured {d.path}: {d.outcome}[/] ({d.detail})", markup=True)
    if merged.conflicts:
        err.print(
            f"{len(merged.conflicts)} measured value(s) conflict with the record; the record's are kept"
        )
    return merged.record


def measured_outlines(
    record: PatientRecord, paths: list[Path], profile: str, ruleset: str
) -> tuple[PatientRecord, list[CanalOutline]]:
    """For ``lss report --segmentation``: the merged record and each level's canal outline to draw."""
    sections: list[SectionImage] = []
    merged = merge_segmentation(record, paths, profile, ruleset, sections)
    return merged, canal_outlines(sections)
