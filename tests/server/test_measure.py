"""``POST /v1/measure``: a phantom label map uploaded as the body or a form part gives the numbers ``lss
measure --format json`` gives; too large, garbled and unknown-profile uploads are refused as documented."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nibabel", reason="measuring needs the 'imaging' extra")

import nibabel as nib
import numpy as np
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from lss_pathway.api.settings import ServiceSettings
from lss_pathway.cli import app as cli_app
from lss_pathway.imaging.phantom import Tube, make_grid, spine_phantom
from lss_pathway.imaging.profiles import available_profiles
from lss_pathway.server.app import create_app


@pytest.fixture(scope="module")
def phantom_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two levels, canal 80 mm² tilted 10°, LF 3.5 mm left and 5 mm right (binary labels)."""
    grid = make_grid((0.8, 0.8, 0.8), extent_mm=((-22, 22), (-22, 32), (-30, 30)))
    phantom = spine_phantom(
        grid,
        Tube(area_mm2=80.0, tilt_deg=(10.0, 0.0)),
        vertebrae=("L3", "L4", "L5"),
        soft=False,
        lf_thickness_mm={"left": 3.5, "right": 5.0},
    )
    path = tmp_path_factory.mktemp("upload") / "phantom.nii.gz"
    nib.save(nib.Nifti1Image(phantom.labels.astype(np.int16), grid.affine), str(path))
    return path


@pytest.fixture(scope="module")
def service() -> TestClient:
    return TestClient(create_app(ServiceSettings()))


def _without_source(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "source"}


def test_raw_body_gives_what_lss_measure_json_gives(service: TestClient, phantom_file: Path) -> None:
    cli = CliRunner().invoke(cli_app, ["measure", str(phantom_file), "--profile", "manual", "-f", "json"])
    assert cli.exit_code == 0, cli.stderr
    response = service.post(
        "/v1/measure?profile=manual",
        content=phantom_file.read_bytes(),
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert _without_source(body) == _without_source(json.loads(cli.stdout))
    assert [lv["name"] for lv in body["levels"]] == ["L3-L4", "L4-L5"]
    for level in body["levels"]:
        area = level["canal_area_min"]
        assert area["low"] <= 80.0 <= area["high"]
        lf = {s["side"]: s["lf_thickness"]["value"] for s in level["sides"]}
        assert lf["left"] == pytest.approx(3.5, abs=0.8) and lf["right"] == pytest.approx(5.0, abs=0.8)


def test_multipart_form_with_the_image_names_the_upload(service: TestClient, phantom_file: Path) -> None:
    image = nib.load(str(phantom_file))
    grey = nib.Nifti1Image((np.asanyarray(image.dataobj) > 0).astype(np.float32) * 100, image.affine)
    buffer = io.BytesIO(gzip.compress(grey.to_bytes()))
    response = service.post(
        "/v1/measure",
        files={
            "segmentation": ("some/folder/case-7.nii.gz", phantom_file.read_bytes()),
            "image": ("image.nii.gz", buffer.getvalue()),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "case-7.nii.gz (image checked)"
    assert response.json()["profile"] == "manual"


def test_an_image_on_another_grid_is_refused(service: TestClient, phantom_file: Path) -> None:
    other = nib.Nifti1Image(np.zeros((10, 10, 10), dtype=np.float32), np.eye(4))
    response = service.post(
        "/v1/measure",
        files={
            "segmentation": ("seg.nii.gz", phantom_file.read_bytes()),
            "image": ("i.nii", other.to_bytes()),
        },
    )
    assert response.status_code == 422
    assert "grid differs" in response.json()["detail"][0]["message"]


def test_an_uncompressed_nifti_body_is_read_too(service: TestClient, phantom_file: Path) -> None:
    raw = nib.load(str(phantom_file))
    response = service.post("/v1/measure", content=raw.to_bytes())
    assert response.status_code == 200, response.text
    assert len(response.json()["levels"]) == 2


def test_unknown_profile_is_a_422_listing_the_profiles(service: TestClient, phantom_file: Path) -> None:
    response = service.post("/v1/measure?profile=nosuchtool", content=phantom_file.read_bytes())
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["field"] == "profile"
    assert all(name in problem["message"] for name in available_profiles())


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"this is a radiology report, not a label map", "not a NIfTI (.nii, .nii.gz) or DICOM-SEG"),
        (b"\x1f\x8b\x08\x00garbled gzip", "segmentation"),
        (gzip.compress(b"\x5c\x01\x00\x00" + bytes(400)), "no readable NIfTI header"),
    ],
)
def test_garbled_files_are_a_422_naming_the_problem(service: TestClient, body: bytes, words: str) -> None:
    response = service.post("/v1/measure", content=body)
    assert response.status_code == 422
    message = response.json()["detail"][0]["message"]
    assert words in message
    assert "/tmp" not in message and "lss-measure-" not in message  # no server paths


def test_a_two_dimensional_label_map_is_a_422(service: TestClient) -> None:
    flat = nib.Nifti1Image(np.ones((8, 8), dtype=np.int16), np.eye(4))
    response = service.post("/v1/measure", content=flat.to_bytes())
    assert response.status_code == 422
    assert "3-D" in response.json()["detail"][0]["message"]


def test_empty_body_and_empty_form_part_are_422(service: TestClient) -> None:
    assert service.post("/v1/measure", content=b"").status_code == 422
    response = service.post("/v1/measure", files={"image": ("x.nii", b"123")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "segmentation"


def test_uploads_have_their_own_limit_with_a_clear_413(phantom_file: Path) -> None:
    data = phantom_file.read_bytes()
    small = TestClient(create_app(ServiceSettings(max_upload_bytes=len(data) - 1)))
    response = small.post("/v1/measure", content=data)
    assert response.status_code == 413
    assert "--max-upload-bytes" in response.json()["detail"][0]["message"]
    # the JSON limit (1 MB by default) does not apply to uploads, nor does the JSON check for UTF-8
    roomy = TestClient(create_app(ServiceSettings(max_body_bytes=1024, max_upload_bytes=len(data))))
    assert roomy.post("/v1/measure", content=data).status_code == 200


def test_a_volume_declaring_too_many_voxels_is_a_413_before_reading_it(
    service: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lss_pathway.imaging import upload

    monkeypatch.setattr(upload, "MAX_VOXELS", 999)
    big = nib.Nifti1Image(np.zeros((10, 10, 10), dtype=np.int16), np.eye(4))
    response = service.post("/v1/measure", content=big.to_bytes())
    assert response.status_code == 413
    assert "10x10x10" in response.json()["detail"][0]["message"]


def test_the_openapi_documents_both_bodies_and_every_refusal(service: TestClient) -> None:
    operation = service.get("/openapi.json").json()["paths"]["/v1/measure"]["post"]
    content = operation["requestBody"]["content"]
    assert {"application/octet-stream", "multipart/form-data"} <= set(content)
    assert {"200", "400", "413", "422"} <= set(operation["responses"])
    profile = next(p for p in operation["parameters"] if p["name"] == "profile")
    assert profile["schema"]["enum"] == available_profiles()


def test_a_dicom_seg_upload_is_measured(service: TestClient, tmp_path: Path) -> None:
    pytest.importorskip("highdicom", reason="DICOM-SEG needs highdicom (the 'imaging' extra)")
    from tests.imaging.test_dicom_seg import write_dicom_seg

    grid = make_grid((1.0, 1.0, 1.0), extent_mm=((-20, 20), (-20, 30), (-22, 22)))
    phantom = spine_phantom(grid, Tube(area_mm2=120.0), soft=False)
    path = tmp_path / "seg.dcm"
    write_dicom_seg(phantom.labels, grid.affine, path)
    response = service.post("/v1/measure", content=path.read_bytes())
    assert response.status_code == 200, response.text
    area = response.json()["levels"][0]["canal_area_min"]
    assert area["low"] <= 120.0 <= area["high"]
