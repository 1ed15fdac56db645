"""The qlr binary image: one container with what a device loads (spec: docs/image-format.md).

Public API::

    encode_image(ImageContent) -> bytes          decode_image(bytes) -> ImageContent (validated)
    read_image(path) -> ImageContent              write_image(path, ImageContent)
    parse_container(bytes) -> [Section]           write_container([Section]) -> bytes
    ImageContent(layers, front, back, lr, batches, meta); LayerRecord; FrontParams; BackParams;
    LRMemory; DataBatch; QlrImageError (a QlrError); SectionType, DType, Kind, Act, Stage
"""

from __future__ import annotations

import os

from qlr.image.container import Section, array_section, crc32, parse_container, write_container
from qlr.image.content import (
    BackParams,
    DataBatch,
    FrontParams,
    ImageContent,
    LRMemory,
    decode_image,
    encode_image,
)
from qlr.image.format import Act, DType, Kind, LayerRecord, QlrImageError, SectionType, Stage


def read_image(path: str | os.PathLike[str]) -> ImageContent:
    """Read and fully validate an image file; errors name the file, section and field."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise QlrImageError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return decode_image(data)
    except QlrImageError as e:
        raise QlrImageError(f"{path}: {e}") from None


def write_image(path: str | os.PathLike[str], content: ImageContent) -> int:
    """Encode ``content`` and write it atomically; return the image size in bytes."""
    data = encode_image(content)
    path = os.fspath(path)
    if os.path.isdir(path):
        raise QlrImageError(f"{path} is a folder: give the image's file name (e.g. {os.path.join(path, 'net.qlr')})")
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        raise QlrImageError(f"{path}: cannot write ({e.strerror})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return len(data)


__all__ = [
    "Act", "BackParams", "DType", "DataBatch", "FrontParams", "ImageContent", "Kind", "LRMemory",
    "LayerRecord", "QlrImageError", "Section", "SectionType", "Stage", "array_section", "crc32",
    "decode_image", "encode_image", "parse_container", "read_image", "write_container", "write_image",
]
