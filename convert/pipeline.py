"""har-convert's pipeline: prepare -> bridge -> convert -> bundle -> verify.

    report = run(Options(model=Path("model.keras"), data=Path("data/")))

`prepare` reads and checks every input (model, labels, frame rate, evaluation and calibration
clips, output folder) before any slow work, so a bad input fails in seconds with nothing written.
`bridge` gives the tf_keras model the converter needs (and its streaming split); `optimize`
(har_convert.optimize: pruning, fine-tuning, sparsity, QAT) rewrites that model when --data gives
labelled clips to train on; `verify` (har_convert.verify.stages) scores and times every stage for the
report. The bundle is assembled in a temporary folder beside `--out` and renamed into place only
when complete.
"""
from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
import tensorflow as tf
import tf_keras
from tqdm import tqdm

import har_convert
from har_convert.artifacts import Bridged, Prepared
from har_convert.bridge.rebuild import Bridge
from har_convert.data import index_folder
from har_convert.data.eval_set import load_eval_set
from har_convert.export.files import (
    BY_NAME,
    ORDER,
    Bundle,
    add_pose_models,
    require_pose_models,
)
from har_convert.export.metadata import BundleFacts, write_bundle_metadata
from har_convert.export.streaming import split_for_streaming
from har_convert.optimize import Optimized, optimize, training_data
from har_convert.prune.latency import PROFILE_THREADS
from har_convert.quantize.calibration import calibration_set, frame_samples
from har_convert.quantize.tflite import (
    Converted,
    convert_float,
    convert_int8,
    export_saved_model,
)
from har_convert.settings import Options
from har_convert.source.facts import (
    Geometry,
    as_trained,
    assumptions,
    geometry,
    read_train_info,
    resolve_labels,
    resolve_sample_fps,
)
from har_convert.source.load import load_keras
from har_convert.source.preflight import output_dir
from har_convert.verify.report import write_report
from har_convert.verify.stages import verify
from har_device.core.atomic import atomic_dir
from har_device.core.bundle import InputSpec, KeypointInput, SourceModel
from har_device.core.errors import BadInput
from har_device.core.litert import TFLiteModel
from har_device.core.op_timing import OpProfile, time_operators


def run(options: Options) -> dict[str, Any]:
    """Convert one model into a bundle directory; returns the report written into it."""
    prepared = prepare(options)
    with tqdm(total=5, desc="har-convert", unit="stage", leave=False,
              disable=None) as progress:
        bridged = bridge(prepared, options.streaming)
        progress.update()
        bridged, optimized = optimize_model(bridged, prepared, options)
        progress.update()
        with atomic_dir(prepared.out) as staging:
            bundle = convert(bridged, prepared, staging, options.ship_float, optimized)
            progress.update()
            write_bundle(bundle, prepared, staging)
            progress.update()
            report = verify(bundle, prepared, bridged, options.threads, optimized)
            write_report(staging, report, prepared.labels)
            for name in set(bundle.files) - bundle.shipped:
                (staging / name).unlink()
            make_readable(staging)
            progress.update()
    return report


def prepare(options: Options) -> Prepared:
    out = output_dir(options.model, options.out)
    loaded = load_keras(options.model, options.unsafe)
    train_info = read_train_info(options.model)
    settings = as_trained(options.optimize, options.model, train_info)
    shape = geometry(loaded.model, options.frames, train_info)
    labels, labels_source = resolve_labels(options.model, options.labels, options.data,
                                           shape.classes)
    sample_fps = resolve_sample_fps(options.sample_fps, train_info)
    check_data_kinds(options, shape)
    if shape.keypoints:
        require_pose_models()
    evaluation = load_eval_set(options.eval_dir, options.data, labels, shape.frames, shape.size,
                               sample_fps, settings.seed)
    calibration, calibration_source, calibration_notes = calibration_set(
        options.calib, options.data, shape.frames, shape.size, options.calib_samples,
        sample_fps, settings.seed, keypoints=shape.keypoints)
    pixels, keypoints = ((None, keypoint_input(options.model, train_info)) if shape.keypoints
                         else (input_spec(options.model, shape, train_info), None))
    assumed = assumptions(options.model, labels, labels_source, sample_fps) + calibration_notes
    return Prepared(loaded, shape, labels, labels_source, sample_fps, train_info, pixels,
                    keypoints, evaluation, calibration, calibration_source, out, assumed,
                    settings)


KIND_WORDS = {"keypoints": "keypoint sequences (.npz)", "video": "videos"}


def check_data_kinds(options: Options, shape: Geometry) -> None:
    """--data, --eval and --calib must hold what the model reads: videos for a pixel model,
    keypoint sequences for a pose model."""
    want = "keypoints" if shape.keypoints else "video"
    for option, folder in (("--data", options.data), ("--eval", options.eval_dir),
                           ("--calib", options.calib)):
        if folder is None:
            continue
        if not folder.is_dir():
            if shape.keypoints:
                raise BadInput(f"{option} {folder}: a keypoint model needs a folder of keypoint "
                               "sequences (<class>/<name>.npz)")
            continue
        kind = index_folder(folder).kind
        if kind != want:
            raise BadInput(f"{option} {folder}: holds {KIND_WORDS[kind]}, but the model reads "
                           f"{KIND_WORDS[want]}")


def bridge(prepared: Prepared, streaming: bool) -> Bridged:
    loaded, shape = prepared.loaded, prepared.geometry
    rebuild = Bridge()
    if loaded.flavour == "tf_keras":
        model, diff = loaded.model, None
    else:
        model = rebuild.model(loaded.model, shape.input_shape)
        diff = rebuild.check_equivalence(loaded.model, model, shape.input_shape)
    split = None
    if streaming and not shape.frame_model and not shape.keypoints:
        split = split_for_streaming(loaded.model, rebuild, shape.frames)
    return Bridged(model, split, diff, dict(rebuild.rewrites))


def optimize_model(bridged: Bridged, prepared: Prepared,
                   options: Options) -> tuple[Bridged, Optimized]:
    """Pruning, sparsity and QAT of the bridged model when --data has clips to train on; the
    streaming split is then cut again from the model the int8 files come from."""
    shape, settings = prepared.geometry, prepared.optimize
    seed = settings.seed
    data = None
    if options.data is not None and settings.wanted():
        # The same seeded split as the evaluation clips: training never sees them.
        decoded_test = (prepared.evaluation.clips
                        if options.eval_dir is None and prepared.evaluation else None)
        data = training_data(options.data, prepared.labels, shape.frames, shape.size,
                             prepared.sample_fps, seed, decoded_test)
    optimized = optimize(bridged.model, data, settings,
                         time_int8=partial(int8_profile, prepared=prepared))
    if optimized.final is bridged.model:
        return bridged, optimized
    split = None if bridged.split is None else split_for_streaming(optimized.final, Bridge(),
                                                                   shape.frames)
    return replace(bridged, model=optimized.final, split=split), optimized


def int8_profile(model: tf_keras.Model, prepared: Prepared) -> OpProfile:
    """The per-operator timing of `model`'s int8 conversion: what latency-aware pruning
    allocates by (the unpruned model's and narrower copies') and the report's "before pruning"."""
    shape = prepared.geometry
    samples = frame_samples(prepared.calibration) if shape.frame_model else prepared.calibration
    with tempfile.TemporaryDirectory(prefix="har-convert-") as work:
        saved = export_saved_model(model, shape.input_shape, Path(work) / "reference")
        converted = convert_int8(saved, Path(work) / "reference_int8.tflite", samples)
        return time_operators(converted.path, PROFILE_THREADS)


def convert(bridged: Bridged, prepared: Prepared, staging: Path, ship_float: bool,
            optimized: Optimized) -> Bundle:
    """Float and int8 of the whole model; int8 frame and head models when the model splits.
    After the optimisation stages, the float model is the one they produced (before QAT), and
    two files are made for the report only: the float model before pruning and the
    post-training int8 of the model QAT started from.

    The SavedModels are exported here, one after the other (TensorFlow, this process); the
    converter processes then run side by side, one per core, since each is mostly
    single-threaded (the demo's six conversions and the verification: 64 s -> 50 s, 2 cores)."""
    shape, calibration = prepared.geometry, prepared.calibration
    samples = frame_samples(calibration) if shape.frame_model else calibration
    with tempfile.TemporaryDirectory(prefix="har-convert-") as work:
        def export(model: tf_keras.Model, name: str,
                   input_shape: tuple[int, ...] = shape.input_shape) -> Path:
            return export_saved_model(model, input_shape, Path(work) / name)

        whole = export(bridged.model, "whole")
        floating = whole if optimized.float_model is bridged.model else export(
            optimized.float_model, "float")
        jobs = [partial(named, "model_float.tflite", convert_float, floating,
                        staging / "model_float.tflite"),
                partial(named, "model_int8.tflite", convert_int8, whole,
                        staging / "model_int8.tflite", samples)]
        if optimized.pruned:
            jobs.append(partial(named, "reference_float.tflite", convert_float,
                                export(optimized.reference, "reference"),
                                staging / "reference_float.tflite"))
        if optimized.quantization_aware:
            jobs.append(partial(named, "ptq_int8.tflite", convert_int8, floating,
                                staging / "ptq_int8.tflite", samples))
        if bridged.split is not None:
            split = bridged.split  # first: two conversions in a row, the longest job
            jobs.insert(0, partial(convert_streaming_pair,
                                   export(split.frame, "frame", shape.input_shape[1:]),
                                   export(split.head, "head", tuple(split.head.input_shape[1:])),
                                   staging, calibration))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            converted = dict(pair for pairs in pool.map(lambda job: job(), jobs) for pair in pairs)
    bundle = Bundle()
    for name in sorted(converted, key=ORDER.index):
        ships = BY_NAME[name].role is not None and (ship_float or name != "model_float.tflite")
        bundle.add(name, converted[name], ship=ships)
    return bundle


def named(name: str, convert_one: Callable[..., Converted],
          *args: Any) -> tuple[tuple[str, Converted], ...]:
    return ((name, convert_one(*args)),)


def convert_streaming_pair(frame_model: Path, head_model: Path, staging: Path,
                           calibration: np.ndarray) -> tuple[tuple[str, Converted], ...]:
    """The int8 frame model, then the head calibrated on the features it computes."""
    frame = convert_int8(frame_model, staging / "frame_int8.tflite", frame_samples(calibration))
    head = convert_int8(head_model, staging / "head_int8.tflite",
                        frame_features(frame.path, calibration))
    return ("frame_int8.tflite", frame), ("head_int8.tflite", head)


def frame_features(frame_path: Path, clips: np.ndarray) -> np.ndarray:
    """Features (N, T, ...) of the calibration clips as the device computes them: through the
    int8 frame model, dequantized. They calibrate the head, so its int8 ranges match its input."""
    frame = TFLiteModel(frame_path)
    return np.asarray([np.concatenate([frame.predict(f[None]) for f in clip]) for clip in clips])


def write_bundle(bundle: Bundle, prepared: Prepared, staging: Path) -> None:
    loaded, shape = prepared.loaded, prepared.geometry
    facts = BundleFacts(
        name=loaded.path.stem, labels=prepared.labels, mode=bundle.mode(shape),
        frames=shape.frames, sample_fps=prepared.sample_fps, input=prepared.input,
        keypoints=prepared.keypoints,
        source=SourceModel(path=loaded.path.name, sha256=loaded.sha256,
                           architecture=prepared.train_info.get("arch")),
        converter={"har_convert": har_convert.__version__, "tensorflow": tf.__version__,
                   "source_flavour": loaded.flavour,
                   "quantization": {name: bundle.files[name].quantization
                                    for name in sorted(bundle.shipped)},
                   "calibration": {"source": prepared.calibration_source,
                                   "samples": int(len(prepared.calibration))}})
    roles = bundle.roles()
    if facts.mode == "pose":
        roles |= add_pose_models(staging)
    write_bundle_metadata(staging, roles, facts)


def make_readable(directory: Path) -> None:
    """Give the bundle the permissions of a normally created folder (the temporary files it was
    assembled from are private): the agent's service user must be able to read it."""
    umask = os.umask(0)
    os.umask(umask)
    directory.chmod(0o777 & ~umask)
    for path in directory.iterdir():
        path.chmod(0o666 & ~umask)


def keypoint_input(model_path: Path, train_info: dict[str, Any]) -> KeypointInput:
    """The keypoint normalisation a pose model was trained on: har-train's record, else this
    version's (which is the only one the device side knows)."""
    try:
        return KeypointInput.model_validate(train_info.get("keypoints", {}))
    except ValueError as error:
        raise BadInput(f"{model_path.stem}.train.json: field 'keypoints': {error}") from None


def input_spec(model_path: Path, shape: Geometry, train_info: dict[str, Any]) -> InputSpec:
    """The frame -> input mapping: har-train's record, else the project's x = pixel/255 RGB."""
    recorded = train_info.get("input", {"height": shape.size, "width": shape.size})
    try:
        spec = InputSpec.model_validate(recorded)
    except ValueError as error:
        raise BadInput(f"{model_path.stem}.train.json: field 'input': {error}") from None
    if (spec.height, spec.width) != (shape.size, shape.size):
        raise BadInput(f"{model_path.stem}.train.json: input {spec.height}x{spec.width} does not "
                       f"match the model's {shape.size}x{shape.size}")
    return spec
