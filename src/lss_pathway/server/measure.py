"""``POST /v1/measure``: a segmentation upload in, the imaging measurement (as ``lss measure --format
json`` prints it) out.

The label map comes as the raw request body or as the ``segmentation`` part of a multipart form (with an
optional ``image`` part, the source image, whose grid must match). Reading the body is I/O and happens on
the event loop in the dependency; measuring is CPU work, so the endpoint itself is a plain ``def`` that
FastAPI runs in its thread pool, keeping the loop free for other requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import UploadFile

from lss_pathway.api.errors import ERROR_RESPONSES, Problem
from lss_pathway.api.responses import json_response
from lss_pathway.domain.parsing import FieldError, InputError
from lss_pathway.imaging.measurement import StudyMeasurement
from lss_pathway.imaging.profiles import available_profiles

router = APIRouter(tags=["imaging"])

_BINARY = {"type": "string", "format": "binary"}
_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "A label map: NIfTI (.nii, .nii.gz) or DICOM-SEG, as the whole body or as a form part",
    "content": {
        "application/octet-stream": {"schema": _BINARY},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "segmentation": _BINARY | {"description": "The label map"},
                    "image": _BINARY | {"description": "Optional source image, to check the grids match"},
                },
                "required": ["segmentation"],
            }
        },
    },
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: ERROR_RESPONSES[400] | {"description": "The multipart form cannot be parsed"},
    413: ERROR_RESPONSES[413] | {"description": "Upload or declared volume larger than the limit"},
    422: ERROR_RESPONSES[422] | {"description": "Unreadable or unsuitable file, or an unknown profile"},
    501: {"model": Problem, "description": "The service was installed without the 'imaging' extra"},
}

ProfileQuery = Annotated[
    str,
    Query(
        description="Label profile: which label values mean canal, vertebrae, discs, LF",
        pattern=r"^[a-z0-9_\-]+$",
        json_schema_extra={"enum": available_profiles()},
    ),
]


@dataclass(frozen=True)
class Upload:
    segmentation: bytes
    image: bytes | None
    name: str


async def _part(form: Any, field: str) -> tuple[bytes | None, str | None]:
    value = form.get(field)
    if value is None:
        return None, None
    if isinstance(value, UploadFile):
        return await value.read(), value.filename
    return str(value).encode("utf-8"), None


async def read_upload(request: Request) -> Upload:
    """The uploaded bytes, from a multipart form or the raw body (I/O: on the event loop)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=2, max_fields=4) as form:
            segmentation, filename = await _part(form, "segmentation")
            image, _ = await _part(form, "image")
        if not segmentation:
            raise InputError(
                [FieldError("segmentation", "the form has no (or an empty) 'segmentation' part")]
            )
        # the client's file name, without any folder it may carry
        name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:128] or "upload"
        return Upload(segmentation, image or None, name)
    body = await request.body()
    if not body:
        raise InputError([FieldError("", "empty body: send the label map as the body or a form part")])
    return Upload(body, None, "upload")


@router.post(
    "/v1/measure",
    response_model=StudyMeasurement,
    responses=_RESPONSES,
    openapi_extra={"requestBody": _REQUEST_BODY},
)
def measure(upload: Annotated[Upload, Depends(read_upload)], profile: ProfileQuery = "manual") -> Response:
    """Canal area per level and LF thickness per side from an uploaded segmentation, each value with its
    interval, method and voxel size, or the reason it is unknown."""
    try:
        from lss_pathway.imaging.upload import VolumeTooLarge, measure_upload
        from lss_pathway.imaging.volume import SegmentationError
    except ImportError:  # pragma: no cover - the imaging extra is installed wherever the tests run
        return _problem(501, "", "measuring needs the 'imaging' extra: pip install 'lss-pathway[imaging]'")
    from lss_pathway.imaging.profiles import ProfileError

    try:
        study = measure_upload(upload.segmentation, profile, upload.image, upload.name)
    except ProfileError as exc:
        raise InputError([FieldError("profile", str(exc))]) from None
    except VolumeTooLarge as exc:
        return _problem(413, "segmentation", str(exc))
    except SegmentationError as exc:
        raise InputError([FieldError("segmentation", str(exc))]) from None
    except ImportError:  # pragma: no cover
        return _problem(501, "", "measuring needs the 'imaging' extra: pip install 'lss-pathway[imaging]'")
    return json_response(study.to_dict())


def _problem(status: int, field: str, message: str) -> Response:
    return json_response({"detail": [{"field": field, "message": message}]}, status_code=status)
