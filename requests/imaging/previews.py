"""A PNG preview per series, rendered by the portal from the series' middle image.

This is what staff see without Orthanc (`make run`), and a thumbnail with it. pydicom
decodes the pixel data where the transfer syntax allows (uncompressed, deflated, RLE, and
the JPEG kinds when a decoder package is installed); otherwise the series says why there
is no preview, and Orthanc's viewer, which decodes them all, is the way to see it.
"""

from __future__ import annotations

import io
from typing import IO

import numpy as np
import pydicom
from django.utils.translation import gettext as _
from PIL import Image
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from .dicom import quiet_pydicom

PREVIEW_SIZE = 512


class PreviewUnavailable(Exception):
    """No preview can be rendered; the message says why, in a plain sentence."""


def render_preview(stream: IO[bytes]) -> bytes:
    """Return a PNG of one DICOM instance (its middle frame), at most 512 pixels a side."""
    with quiet_pydicom():
        return _render(stream)


def _render(stream: IO[bytes]) -> bytes:
    try:
        dataset = pydicom.dcmread(stream)
    except Exception as error:
        raise PreviewUnavailable(_("The image could not be read.")) from error
    if "PixelData" not in dataset:
        raise PreviewUnavailable(_("This series holds no picture (a report or other data)."))
    syntax = dataset.file_meta.get("TransferSyntaxUID")
    try:
        pixels = dataset.pixel_array
    except Exception as error:
        name = syntax.name if syntax is not None else _("an unknown encoding")
        raise PreviewUnavailable(
            _("The images are compressed as %(syntax)s, which the portal cannot show by itself.")
            % {"syntax": name}
        ) from error
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2"))
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    if frames > 1:
        pixels = pixels[frames // 2]
    if samples == 1:
        image = Image.fromarray(_grey(pixels, dataset, photometric))
    else:
        if photometric.startswith("YBR"):
            pixels = pydicom.pixels.convert_color_space(pixels, photometric, "RGB")
        image = Image.fromarray(_to_bytes(pixels))
    image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def _grey(pixels: np.ndarray, dataset: pydicom.Dataset, photometric: str) -> np.ndarray:
    values = apply_modality_lut(pixels, dataset)
    if "WindowCenter" in dataset or "VOILUTSequence" in dataset:
        values = apply_voi_lut(values, dataset)
    grey = _to_bytes(values)
    return 255 - grey if photometric == "MONOCHROME1" else grey


def _to_bytes(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return ((values - low) * (255.0 / (high - low))).astype(np.uint8)
