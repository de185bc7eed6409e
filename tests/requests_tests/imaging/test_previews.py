"""Series previews rendered by the portal: a PNG where pydicom decodes, a reason where not."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from requests.imaging.previews import PreviewUnavailable, render_preview
from tests.dicom_files import instance_bytes, make_instance


def png_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("name", "size"),
    [("CT_small.dcm", (128, 128)), ("MR_small.dcm", (64, 64)), ("MR_small_RLE.dcm", (64, 64))],
)
def test_the_files_pydicom_ships_render(name: str, size: tuple[int, int]) -> None:
    """CT and MR, uncompressed and RLE, render as greyscale PNGs with contrast."""
    with Path(get_testdata_file(name)).open("rb") as stream:
        image = png_of(render_preview(stream))
    assert image.format == "PNG"
    assert (image.mode, image.size) == ("L", size)
    pixels = np.asarray(image)
    assert pixels.min() < 30
    assert pixels.max() > 220


def test_a_large_image_is_scaled_down() -> None:
    data = instance_bytes(make_instance(study_uid="1.2", series_uid="1.2.3", size=1024))
    assert png_of(render_preview(io.BytesIO(data))).size == (512, 512)


def test_monochrome1_is_inverted() -> None:
    """MONOCHROME1 (X-ray film convention) shows low values white, as radiologists expect."""
    dataset = make_instance(study_uid="1.2", series_uid="1.2.3", size=32)
    normal = np.asarray(png_of(render_preview(io.BytesIO(instance_bytes(dataset)))))
    dataset.PhotometricInterpretation = "MONOCHROME1"
    inverted = np.asarray(png_of(render_preview(io.BytesIO(instance_bytes(dataset)))))
    assert (inverted.astype(int) + normal.astype(int) == 255).all()


def test_an_undecodable_syntax_is_explained() -> None:
    path = Path(get_testdata_file("MR_small_jpeg_ls_lossless.dcm"))
    with pytest.raises(PreviewUnavailable, match="compressed as JPEG-LS Lossless"):
        render_preview(io.BytesIO(path.read_bytes()))


def test_an_image_without_pixels_is_explained() -> None:
    dataset = make_instance(study_uid="1.2", series_uid="1.2.3")
    del dataset.PixelData
    with pytest.raises(PreviewUnavailable, match="holds no picture"):
        render_preview(io.BytesIO(instance_bytes(dataset)))


def test_garbage_is_explained() -> None:
    with pytest.raises(PreviewUnavailable, match="could not be read"):
        render_preview(io.BytesIO(b"\x00" * 128 + b"DICM" + b"\xff" * 10))
