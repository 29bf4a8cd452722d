"""Open the model file har-convert is given: a Keras 3 `.keras`, or a tf_keras `.keras`/`.h5`.

The file is inspected first without TensorFlow (har_convert.source.inspect: which library wrote
it, its config, no Lambda layer in safe mode). A Keras 3 model goes through the bridge; a
tf_keras one is already what the converter needs. Keras 3 files load with safe_mode=True:
serialized Python code is refused before any of it is deserialized, unless the user passes
--unsafe.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tf_keras

from har_convert.source.inspect import Flavour, custom_layers, first_line, inspect_model
from har_device.core.bundle import sha256_file
from har_device.core.errors import BadInput


@dataclass(frozen=True)
class KerasSource:
    path: Path
    model: Any
    flavour: Flavour
    sha256: str


def load_keras(path: Path | str, unsafe: bool = False) -> KerasSource:
    """Load `path` with the library that wrote it; any unusable file is a one-line BadInput."""
    inspected = inspect_model(path, unsafe)
    path, config, flavour = inspected.path, inspected.config, inspected.flavour
    library = keras if flavour == "keras3" else tf_keras
    try:
        model = library.models.load_model(path, compile=False, safe_mode=not unsafe)
    except (ValueError, TypeError, KeyError, OSError) as error:
        for name, class_name in custom_layers(config):
            raise BadInput(f"{path}: layer {name!r} is of custom class {class_name!r}, which "
                           "cannot be loaded or converted here; build the model from standard "
                           "Keras layers") from None
        raise BadInput(f"{path}: cannot load this {flavour} model: {first_line(error)}") from None
    return KerasSource(path, model, flavour, sha256_file(path))


