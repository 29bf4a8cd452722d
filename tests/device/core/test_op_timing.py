"""Per-operator timing of a real int8 model (the demo bundle's LRCN) in LiteRT: every operator is
cut out, run on the tensors it really receives, and timed against the whole model."""
from __future__ import annotations

from pathlib import Path

import pytest

from har_device.core.errors import BadInput
from har_device.core.litert import load_interpreter
from har_device.core.op_timing import time_operators

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo_bundle" / "model_int8.tflite"


@pytest.fixture(scope="module")
def profile():
    return time_operators(DEMO, threads=1, rounds=5)


def test_every_operator_of_the_model_is_timed_in_order(profile) -> None:
    expected = [op["op_name"] for op in load_interpreter(DEMO)._get_ops_details()
                if op["op_name"] != "DELEGATE"]
    assert [op.op for op in profile.ops] == expected
    assert all(op.ms > 0 for op in profile.ops)


def test_operators_carry_the_keras_layer_names_the_converter_recorded(profile) -> None:
    convs = [op for op in profile.ops if op.op == "CONV_2D"]
    assert len(convs) == 4
    assert "block1_conv" in convs[0].names[0] and "block4_conv" in convs[-1].names[0]


def test_the_operators_add_up_to_about_the_whole_model(profile) -> None:
    """One thread: XNNPACK runs the same kernels alone as in a partition, so the sum is close."""
    assert 0.5 < profile.sum_ms / profile.whole_ms < 2.0


def test_the_first_convolution_costs_more_than_the_last(profile) -> None:
    """64x64 frames against 8x8: the measurement sees where the time goes."""
    convs = [op.ms for op in profile.ops if op.op == "CONV_2D"]
    assert convs[0] > 3 * convs[-1]


def test_a_file_that_is_no_model_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model")
    with pytest.raises(BadInput, match="not a loadable TFLite model"):
        time_operators(bad)
