"""Open the model file har-convert is given: a Keras 3 `.keras`, or a tf_keras `.keras`/`.h5`.

Both libraries write both formats, so the file is inspected before it is loaded: a `.keras` zip
records the writer's version in `metadata.json`, an HDF5 file in its `keras_version` attribute.
A Keras 3 model goes through the bridge; a tf_keras one is already what the converter needs.
Keras 3 files load with safe_mode=True: serialized Python code (a Lambda layer) is refused
before any of it is deserialized, with the layer named, unless the user passes --unsafe.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal

import h5py
import keras
import tf_keras

from har_device.core.bundle import sha256_file
from har_device.core.errors import BadInput

Flavour = Literal["keras3", "tf_keras"]
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@dataclass(frozen=True)
class KerasSource:
    path: Path
    model: Any
    flavour: Flavour
    sha256: str


def load_keras(path: Path | str, unsafe: bool = False) -> KerasSource:
    """Load `path` with the library that wrote it; any unusable file is a one-line BadInput."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such model file")
    version, config = _inspect(path)
    flavour: Flavour = "keras3" if version.startswith("3.") else "tf_keras"
    if not unsafe:
        for name in code_layers(config):
            raise BadInput(f"{path}: layer {name!r} is a Lambda layer (serialized Python code), "
                           "refused in safe mode; rebuild it from standard layers, or pass "
                           "--unsafe if you trust the file")
    library = keras if flavour == "keras3" else tf_keras
    try:
        model = library.models.load_model(path, compile=False, safe_mode=not unsafe)
    except (ValueError, TypeError, KeyError, OSError) as error:
        for name, class_name in custom_layers(config):
            raise BadInput(f"{path}: layer {name!r} is of custom class {class_name!r}, which "
                           "cannot be loaded or converted here; build the model from standard "
                           "Keras layers") from None
        raise BadInput(f"{path}: cannot load this {flavour} model: {_first_line(error)}") from None
    return KerasSource(path, model, flavour, sha256_file(path))


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
        raise BadInput(f"{path}: truncated or corrupt .keras file ({_first_line(error)})") from None
    return str(metadata.get("keras_version", "")), config


def _inspect_hdf5(path: Path) -> tuple[str, dict]:
    try:
        with h5py.File(path, "r") as handle:
            version = handle.attrs.get("keras_version", "")
            config = handle.attrs.get("model_config")
    except OSError as error:
        raise BadInput(f"{path}: truncated or corrupt HDF5 file ({_first_line(error)})") from None
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


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
