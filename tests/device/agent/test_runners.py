"""Runners and the int8 input path on the committed tiny bundle, in ai-edge-litert."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from har_device.agent.model import ModelRequest, load_device_model
from har_device.agent.runners import ClipRunner, FrameRunner, StreamingRunner
from har_device.core.bundle import load_bundle
from har_device.core.errors import BadInput
from har_device.core.litert import TFLiteModel
from har_device.core.preprocess import FrameSampler, InputMapper, resize_frame

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"


@pytest.fixture(scope="module")
def camera_frames() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(12)]


def test_input_lookup_equals_resize_scale_and_quantize(camera_frames) -> None:
    model = TFLiteModel(TINY / "model_int8.tflite")
    mapper = InputMapper(32, 32, "RGB", 1 / 255, 0.0, model.input.dtype, model.input.scale,
                         model.input.zero_point)
    expected = model.input.quantize(resize_frame(camera_frames[0], 32, 32).astype(np.float32) / 255)
    np.testing.assert_array_equal(mapper(camera_frames[0]), expected)
    assert mapper(camera_frames[0]).dtype == np.int8


def test_streaming_decides_as_the_clip_model_does(camera_frames) -> None:
    clip = load_device_model(ModelRequest(TINY, mode="clip"))
    streaming = load_device_model(ModelRequest(TINY, mode="streaming"))
    assert isinstance(clip.runner, ClipRunner) and isinstance(streaming.runner, StreamingRunner)
    clip_scores, stream_scores = [], []
    for image in camera_frames:
        a = clip.runner.push(clip.mapper(image)).probabilities
        b = streaming.runner.push(streaming.mapper(image)).probabilities
        assert (a is None) == (b is None)
        if a is not None:
            clip_scores.append(a)
            stream_scores.append(b)
    assert len(clip_scores) == len(camera_frames) - clip.frames + 1
    np.testing.assert_allclose(clip_scores, stream_scores, atol=0.05)
    assert [s.argmax() for s in clip_scores] == [s.argmax() for s in stream_scores]


def test_features_are_requantized_into_the_heads_input_by_table() -> None:
    streaming = load_device_model(ModelRequest(TINY, mode="streaming")).runner
    source, target = streaming.frame_model.output, streaming.head.input
    every_value = np.arange(-128, 128, dtype=np.int8)
    expected = target.quantize(source.dequantize(every_value))
    np.testing.assert_array_equal(streaming._to_head_input(every_value), expected)
    assert streaming._to_head_input(every_value).dtype == target.dtype


def test_stride_spaces_the_decisions(camera_frames) -> None:
    loaded = load_device_model(ModelRequest(TINY, mode="clip", stride=3))
    decided = [loaded.runner.push(loaded.mapper(image)).probabilities is not None
               for image in camera_frames]
    assert [index for index, done in enumerate(decided) if done] == [3, 6, 9]


def test_frame_runner_averages_the_last_t_frames() -> None:
    model = TFLiteModel(TINY / "frame_int8.tflite")
    runner = FrameRunner(model, frames=3)
    tensor = np.zeros(model.input.shape[1:], model.input.dtype)
    outputs = [runner.push(tensor) for _ in range(4)]
    assert [o.probabilities is None for o in outputs] == [True, True, False, False]
    single = model.output.dequantize(model.invoke(tensor[None]))[0]
    np.testing.assert_allclose(outputs[-1].probabilities, single, rtol=1e-6)


def test_bundle_hash_mismatch_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "bundle"
    copy.mkdir()
    for item in TINY.iterdir():
        copy.joinpath(item.name).write_bytes(item.read_bytes())
    head = copy / "head_int8.tflite"
    head.write_bytes(head.read_bytes()[:-1] + b"\x00")
    with pytest.raises(BadInput, match="sha256 does not match"):
        load_device_model(ModelRequest(copy))
    load_bundle(copy, verify=False)


def test_bare_tflite_needs_labels_that_fit_the_output() -> None:
    with pytest.raises(BadInput, match="needs --labels"):
        load_device_model(ModelRequest(TINY / "model_int8.tflite"))
    with pytest.raises(BadInput, match="6 outputs but --labels gives 2"):
        load_device_model(ModelRequest(TINY / "model_int8.tflite", labels="a,b"))
    loaded = load_device_model(ModelRequest(TINY / "model_int8.tflite",
                                     labels="fall,walk,sit,bend,wave,idle", frames=4))
    assert loaded.mode == "clip" and loaded.frames == 4


def test_wrong_shape_tflite_is_refused() -> None:
    with pytest.raises(BadInput, match="neither a clip"):
        load_device_model(ModelRequest(TINY / "head_int8.tflite", labels="a,b,c,d,e,f"))


def test_sampler_brings_30_fps_down_to_8() -> None:
    sampler = FrameSampler(8.0)
    kept = [index for index in range(300) if sampler.keep(index / 30.0)]
    assert 78 <= len(kept) <= 82
    gaps = np.diff(kept) / 30.0
    assert gaps.min() >= 0.09 and gaps.max() <= 0.17


def test_sampler_keeps_every_frame_at_the_trained_rate() -> None:
    sampler = FrameSampler(8.0)
    assert all(sampler.keep(index / 8.0) for index in range(64))


def test_an_lstm_model_answers_each_window_afresh() -> None:
    """The demo LRCN's int8 model holds its LSTM state in variable tensors between invokes."""
    path = Path(__file__).parents[2] / "fixtures" / "demo_bundle" / "model_int8.tflite"
    model = TFLiteModel(path)
    rng = np.random.default_rng(3)
    first, second = (rng.integers(-128, 128, model.input.shape, dtype=np.int8) for _ in range(2))
    alone = model.invoke(first)
    model.invoke(second)
    np.testing.assert_array_equal(model.invoke(first), alone)
    model.interpreter.set_tensor(model.input.index, first)
    model.interpreter.invoke()
    carried_over = model.interpreter.get_tensor(model.output.index)
    assert not np.array_equal(carried_over, alone), "the model has no state to carry: test is moot"
