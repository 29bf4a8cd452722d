"""What a model file is, read without TensorFlow: a Keras 3 or tf_keras model, and its config.

Both libraries write both formats, so the file is inspected before it is loaded: a `.keras` zip
(with `config.json` and `metadata.json`) records the writer's version in `metadata.json`, an HDF5
file (signature `\\x89HDF\\r\\n\\x1a\\n`) in its `keras_version` attribute. Reading only the
zip index and the JSON inside it, `har-convert` refuses random bytes, a truncated file or a
Lambda layer in about a second, before the slow import of TensorFlow.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal

from har_device.core.errors import BadInput

Flavour = Literal["keras3", "tf_keras"]
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@dataclass(frozen=True)
class ModelFile:
    """version: the Keras version that wrote the file; config: its model config (JSON)."""

    path: Path
    version: str
    config: dict

    @property
    def flavour(self) -> Flavour:
        return "keras3" if self.version.startswith("3.") else "tf_keras"


def inspect_model(path: Path | str, unsafe: bool = False) -> ModelFile:
    """The file's writer and config, refusing anything unusable with a one-line BadInput; in safe
    mode (not `unsafe`) a Lambda layer anywhere in the config is refused too."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such model file")
    version, config = _inspect(path)
    if not unsafe:
        for name in code_layers(config):
            raise BadInput(f"{path}: layer {name!r} is a Lambda layer (serialized Python code), "
                           "refused in safe mode; rebuild it from standard layers, or pass "
                           "--unsafe if you trust the file")
    return ModelFile(path, version, config)


def _inspect(path: Path) -> tuple[str, dict]:
    """(Keras version that wrote the file, model config) without deserializing anything."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == HDF5_SIGNATURE:
        return _inspect_hdf5(path)
    if zipfile.is_zipfile(path):
        return _inspect_zip(path)
    if head.startswith(b"PK"):
        raise BadInput(f"{path}: truncated or corrupt .keras file (the zip cannot be read)")
    raise BadInput(f"{path}: not a Keras model file (expected a .keras zip or an .h5 file)")


def _inspect_zip(path: Path) -> tuple[str, dict]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {"metadata.json", "config.json"} <= names:
                raise BadInput(f"{path}: a zip file, but not a .keras model (no config.json/"
                               "metadata.json)")
            metadata = json.loads(archive.read("metadata.json"))
            config = json.loads(archive.read("config.json"))
            archive.testzip()
    except (zipfile.BadZipFile, json.JSONDecodeError, EOFError, OSError) as error:
        raise BadInput(f"{path}: truncated or corrupt .keras file ({first_line(error)})") from None
    return str(metadata.get("keras_version", "")), config


def _inspect_hdf5(path: Path) -> tuple[str, dict]:
    import h5py  # only for HDF5 files: it costs a quarter of a second to import

    try:
        with h5py.File(path, "r") as handle:
            version = handle.attrs.get("keras_version", "")
            config = handle.attrs.get("model_config")
    except OSError as error:
        raise BadInput(f"{path}: truncated or corrupt HDF5 file ({first_line(error)})") from None
    if config is None:
        raise BadInput(f"{path}: an HDF5 file without a model config (weights only?); "
                       "save the whole model")
    return _text(version), json.loads(_text(config))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def code_layers(config: Any) -> Iterator[str]:
    """Names of the Lambda layers anywhere in a model config (nested models, wrappers)."""
    for entry in _entries(config):
        if entry["class_name"] == "Lambda":
            yield str(entry["config"].get("name", "?"))


def custom_layers(config: Any) -> Iterator[tuple[str, str]]:
    """(name, class) of the entries of a Keras 3 config whose class is not Keras's own."""
    for entry in _entries(config):
        module = entry.get("module", "keras")
        if not str(module).startswith("keras"):
            yield str(entry["config"].get("name", "?")), str(entry["class_name"])


def _entries(config: Any) -> Iterator[dict]:
    """Every serialized object ({"class_name", "config", ...}) anywhere inside `config`."""
    if isinstance(config, dict):
        if "class_name" in config and isinstance(config.get("config"), dict):
            yield config
        for value in config.values():
            yield from _entries(value)
    elif isinstance(config, list):
        for value in config:
            yield from _entries(value)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
