"""Everything about `har-convert`'s inputs that can be checked without TensorFlow, checked first.

Importing TensorFlow takes seconds (tens under load); a wrong path or a file of random bytes must
not wait for it. `preflight` reads the model file's kind and config (har_convert.source.inspect),
the labels file, the data, evaluation and calibration folders and the output folder, and names
every problem it finds in one BadInput, so the user fixes them all at once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from har_convert.data import index_folder
from har_convert.settings import Options
from har_convert.source.inspect import ModelFile, inspect_model
from har_device.core.errors import BadInput


def preflight(options: Options) -> ModelFile:
    """The inspected model file, or one BadInput naming every unusable input."""
    checks: list[Callable[[], object]] = [
        lambda: output_dir(options.model, options.out),
        lambda: _labels_file(options.labels),
        lambda: _folder("--data", options.data),
        lambda: _folder("--eval", options.eval_dir),
        lambda: _calibration(options.calib),
    ]
    problems = []
    try:
        model = inspect_model(options.model, options.unsafe)
    except BadInput as error:
        problems.append(str(error))
    for check in checks:
        try:
            check()
        except BadInput as error:
            problems.append(str(error))
    if problems:
        raise BadInput("; ".join(problems))
    return model


def output_dir(model: Path, out: Path | None) -> Path:
    """`--out`, default `<model stem>_bundle/` beside the model; its parent must exist."""
    out = out if out is not None else model.with_name(f"{model.stem}_bundle")
    if not out.parent.is_dir():
        raise BadInput(f"--out {out}: the parent folder {out.parent} does not exist")
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: exists and is not a folder")
    return out


def _labels_file(path: Path | None) -> None:
    if path is not None and not path.is_file():
        raise BadInput(f"--labels {path}: no such file")


def _folder(option: str, path: Path | None) -> None:
    """A UCF-style folder with videos of at least two classes (index_folder's checks)."""
    if path is None:
        return
    if not path.is_dir():
        raise BadInput(f"{option} {path}: no such folder")
    try:
        index_folder(path)
    except BadInput as error:
        raise BadInput(f"{option} {error}") from None


def _calibration(path: Path | None) -> None:
    if path is not None and not (path.is_file() and path.suffix == ".npy"):
        if not path.exists():
            raise BadInput(f"--calib {path}: no such calibration folder or .npy file")
        _folder("--calib", path)
