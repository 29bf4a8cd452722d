"""The checks run on every converted file, the metadata embedding, and the converter worker's
one-line error summary, on the small committed agent-test models (no conversion needed)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from har_convert.export.metadata import embed_metadata
from har_convert.quantize.checks import (
    non_builtin_ops,
    op_inventory,
    run_once,
    xnnpack_coverage,
)
from har_convert.quantize.worker import summarize
from har_device.core.bundle import read_embedded_metadata
from har_device.core.errors import BadInput

TINY_MODEL = Path(__file__).parents[2] / "fixtures" / "tiny_bundle" / "model_int8.tflite"


def test_op_inventory_and_xnnpack_coverage() -> None:
    ops = op_inventory(TINY_MODEL)
    assert ops and not non_builtin_ops(ops)
    coverage = xnnpack_coverage(TINY_MODEL)
    assert coverage.total == sum(ops.values())
    assert 0 < coverage.delegated <= coverage.total and coverage.partitions >= 1
    assert non_builtin_ops({"CONV_2D": 1, "CUSTOM:FlexErf": 2}) == ["CUSTOM:FlexErf"]
    assert run_once(TINY_MODEL).input.shape[0] == 1


def test_embedded_metadata_replaces_and_reads_back(tmp_path: Path) -> None:
    model = tmp_path / "model.tflite"
    shutil.copy(TINY_MODEL, model)
    assert read_embedded_metadata(model) is None
    embed_metadata(model, {"labels": ["a", "b"], "version": 1})
    embed_metadata(model, {"labels": ["a", "b"], "version": 2})
    assert read_embedded_metadata(model) == {"labels": ["a", "b"], "version": 2}
    assert op_inventory(model) == op_inventory(TINY_MODEL)
    text = tmp_path / "notes.tflite"
    text.write_text("not a flatbuffer")
    with pytest.raises(BadInput, match="not a TFLite flatbuffer"):
        read_embedded_metadata(text)


def test_converter_errors_are_summarized_in_one_line() -> None:
    error = RuntimeError(
        "ConverterError: <unknown>:0: error: loc(callsite(\"MaxPool3D\")): error: 'tf.MaxPool3D' "
        "op is neither a custom op nor a flex op\n<unknown>:0: note: see current operation\n"
        "loc(\"other\"): error: 'tf.MaxPool3D' op is neither a custom op nor a flex op\n"
        "error: failed while converting: 'main'")
    assert summarize(error) == "'tf.MaxPool3D' op is neither a custom op nor a flex op"
    assert summarize(ValueError("plain message\nsecond line")) == "plain message"
