"""har-convert's pipeline: prepare -> bridge -> convert -> bundle -> verify.

    report = run(Options(model=Path("model.keras"), data=Path("data/")))

`prepare` reads and checks every input (model, labels, frame rate, evaluation and calibration
clips, output folder) before any slow work, so a bad input fails in seconds with nothing written.
`bridge` gives the tf_keras model the converter needs (and its streaming split); optimisation
stages that rewrite that model (pruning, QAT) slot in between `bridge` and `convert`. The bundle is
assembled in a temporary folder beside `--out` and renamed into place only when complete.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
import tf_keras
from tqdm import tqdm

import har_convert
from har_convert.bridge import OUTPUT_TOLERANCE, Bridge
from har_convert.calibration import calibration_set, frame_samples
from har_convert.eval_set import EvalSet, load_eval_set
from har_convert.evaluate import (agreement, keras_latency_ms, keras_scores, streaming_scores,
                                  tflite_latency_ms, tflite_scores)
from har_convert.load import LoadedModel, load_model
from har_convert.metadata import BundleFacts, write_bundle_metadata
from har_convert.metrics import classification_report
from har_convert.model_facts import (Geometry, geometry, read_train_info, resolve_labels,
                                     resolve_sample_fps)
from har_convert.report import (accuracy_drops, gzip_size, stage_entry, warnings_for,
                                write_report)
from har_convert.streaming import StreamingSplit, split_for_streaming
from har_convert.tflite import Converted, convert_float, convert_int8, export_saved_model
from har_device.atomic import atomic_dir
from har_device.bundle import FileRole, InputSpec, SourceModel
from har_device.errors import BadInput
from har_device.litert import TFLiteModel

DEFAULT_CALIB_SAMPLES = 32
FILE_ROLES: dict[str, FileRole] = {"model_int8.tflite": "clip", "model_float.tflite": "clip_float",
                                   "frame_int8.tflite": "frame", "head_int8.tflite": "head"}


@dataclass(frozen=True)
class Options:
    model: Path
    data: Path | None = None
    eval_dir: Path | None = None
    calib: Path | None = None
    calib_samples: int = DEFAULT_CALIB_SAMPLES
    out: Path | None = None
    frames: int | None = None
    labels: Path | None = None
    sample_fps: float | None = None
    unsafe: bool = False
    streaming: bool = True
    threads: int | None = None


@dataclass(frozen=True)
class Prepared:
    """Every input, read and checked."""

    loaded: LoadedModel
    geometry: Geometry
    labels: list[str]
    labels_source: str
    sample_fps: float
    train_info: dict[str, Any]
    input: InputSpec
    evaluation: EvalSet | None
    calibration: np.ndarray
    calibration_source: str
    out: Path


@dataclass(frozen=True)
class Bridged:
    """The tf_keras model to convert, its streaming split, and how exactly it reproduces the
    source (None when the source already was a tf_keras model)."""

    model: tf_keras.Model
    split: StreamingSplit | None
    max_abs_diff: float | None


@dataclass
class Bundle:
    """The converted files, by bundle file name."""

    files: dict[str, Converted] = field(default_factory=dict)

    @property
    def streaming(self) -> bool:
        return "head_int8.tflite" in self.files


def run(options: Options) -> dict[str, Any]:
    """Convert one model into a bundle directory; returns the report written into it."""
    prepared = prepare(options)
    with tqdm(total=4, desc="har-convert", unit="stage", leave=False,
              disable=None) as progress:
        bridged = bridge(prepared, options.streaming)
        progress.update()
        with atomic_dir(prepared.out) as staging:
            bundle = convert(bridged, prepared, staging)
            progress.update()
            write_bundle(bundle, prepared, staging)
            progress.update()
            report = verify(bundle, prepared, bridged, options.threads)
            write_report(staging, report, prepared.labels)
            make_readable(staging)
            progress.update()
    return report


def prepare(options: Options) -> Prepared:
    out = output_dir(options.model, options.out)
    loaded = load_model(options.model, options.unsafe)
    train_info = read_train_info(options.model)
    shape = geometry(loaded.model, options.frames, train_info)
    labels, labels_source = resolve_labels(options.model, options.labels, options.data,
                                           shape.classes)
    sample_fps = resolve_sample_fps(options.model, options.sample_fps, train_info)
    seed = int(train_info.get("seed", 0))
    evaluation = load_eval_set(options.eval_dir, options.data, labels, shape.frames, shape.size,
                               sample_fps, seed)
    calibration, calibration_source = calibration_set(
        options.calib, options.data, shape.frames, shape.size, options.calib_samples,
        sample_fps, seed)
    return Prepared(loaded, shape, labels, labels_source, sample_fps, train_info,
                    input_spec(options.model, shape, train_info), evaluation, calibration,
                    calibration_source, out)


def bridge(prepared: Prepared, streaming: bool) -> Bridged:
    loaded, shape = prepared.loaded, prepared.geometry
    rebuild = Bridge()
    if loaded.flavour == "tf_keras":
        model, diff = loaded.model, None
    else:
        model = rebuild.model(loaded.model, shape.input_shape)
        diff = rebuild.check_equivalence(loaded.model, model, shape.input_shape)
    split = None
    if streaming and not shape.frame_model:
        split = split_for_streaming(loaded.model, rebuild, shape.frames)
    return Bridged(model, split, diff)


def convert(bridged: Bridged, prepared: Prepared, staging: Path) -> Bundle:
    """Float and int8 of the whole model; int8 frame and head models when the model splits."""
    shape, calibration = prepared.geometry, prepared.calibration
    bundle = Bundle()
    with tempfile.TemporaryDirectory(prefix="har-convert-") as work:
        whole = export_saved_model(bridged.model, shape.input_shape, Path(work) / "whole")
        bundle.files["model_float.tflite"] = convert_float(whole, staging / "model_float.tflite")
        samples = frame_samples(calibration) if shape.frame_model else calibration
        bundle.files["model_int8.tflite"] = convert_int8(whole, staging / "model_int8.tflite",
                                                         samples)
        if bridged.split is not None:
            frame_model = export_saved_model(bridged.split.frame, shape.input_shape[1:],
                                             Path(work) / "frame")
            frame = convert_int8(frame_model, staging / "frame_int8.tflite",
                                 frame_samples(calibration))
            features = frame_features(frame.path, calibration)
            head_model = export_saved_model(bridged.split.head, features.shape[1:],
                                            Path(work) / "head")
            bundle.files["frame_int8.tflite"] = frame
            bundle.files["head_int8.tflite"] = convert_int8(head_model,
                                                            staging / "head_int8.tflite", features)
    return bundle


def frame_features(frame_path: Path, clips: np.ndarray) -> np.ndarray:
    """Features (N, T, ...) of the calibration clips as the device computes them: through the
    int8 frame model, dequantized. They calibrate the head, so its int8 ranges match its input."""
    frame = TFLiteModel(frame_path)
    return np.asarray([np.concatenate([frame.predict(f[None]) for f in clip]) for clip in clips])


def write_bundle(bundle: Bundle, prepared: Prepared, staging: Path) -> None:
    loaded, shape = prepared.loaded, prepared.geometry
    facts = BundleFacts(
        name=loaded.path.stem, labels=prepared.labels, mode=bundle_mode(bundle, shape),
        frames=shape.frames,
        sample_fps=prepared.sample_fps, input=prepared.input,
        source=SourceModel(path=str(loaded.path), sha256=loaded.sha256,
                           architecture=prepared.train_info.get("arch")),
        converter={"har_convert": har_convert.__version__, "tensorflow": tf.__version__,
                   "source_flavour": loaded.flavour,
                   "quantization": {name: c.quantization for name, c in bundle.files.items()},
                   "calibration": {"source": prepared.calibration_source,
                                   "samples": int(len(prepared.calibration))}})
    write_bundle_metadata(staging, {name: FILE_ROLES[name] for name in bundle.files}, facts)


def verify(bundle: Bundle, prepared: Prepared, bridged: Bridged,
           threads: int | None) -> dict[str, Any]:
    """Score every stage on the held-out clips and time it; assemble the report."""
    shape, evaluation = prepared.geometry, prepared.evaluation
    clips = evaluation.inputs() if evaluation is not None else None
    scores = stage_scores(bundle, prepared, clips, threads)

    def metrics(stage: str) -> dict[str, Any] | None:
        if scores[stage] is None:
            return None
        return classification_report(evaluation.y, scores[stage], prepared.labels)

    def agree(stage: str, reference: str) -> float | None:
        if scores[stage] is None:
            return None
        return agreement(scores[stage], scores[reference])

    source = prepared.loaded.path
    stages = {"keras": stage_entry(
        size_bytes=source.stat().st_size, gzip_bytes=gzip_size(source), metrics=metrics("keras"),
        latency_ms_p50=keras_latency_ms(prepared.loaded.model, shape.input_shape))}
    for stage, name in (("float", "model_float.tflite"), ("int8", "model_int8.tflite")):
        stages[stage] = _tflite_stage(bundle.files[name], metrics(stage), threads, file=name,
                                      agreement_vs_float=agree(stage, "float"),
                                      agreement_vs_keras=agree(stage, "keras"))
    if bundle.streaming:
        stages["streaming_int8"] = _streaming_stage(
            bundle, metrics("streaming_int8"), threads,
            agreement_vs_float=agree("streaming_int8", "float"),
            agreement_vs_int8=agree("streaming_int8", "int8"))
    drops = accuracy_drops(stages)
    notes = [] if evaluation else ["no evaluation clips (--data or --eval): accuracy was not "
                                   "measured"]
    if (bridged.max_abs_diff or 0.0) > OUTPUT_TOLERANCE:
        notes.append(f"bridge: scores differ from the Keras 3 model's by "
                     f"{bridged.max_abs_diff:.2g} (> {OUTPUT_TOLERANCE:g}) on random inputs, "
                     "although every layer matches on its own inputs (float rounding compounded "
                     "through the network)")
    return {
        "name": source.stem, "bundle": str(prepared.out), "mode": bundle_mode(bundle, shape),
        "source_model": {"path": str(source), "sha256": prepared.loaded.sha256,
                         "flavour": prepared.loaded.flavour},
        "frames": shape.frames, "sample_fps": prepared.sample_fps,
        "input": prepared.input.model_dump(), "labels": prepared.labels,
        "labels_source": prepared.labels_source,
        "bridge": {"max_abs_diff": bridged.max_abs_diff, "tolerance": OUTPUT_TOLERANCE,
                   "streaming_cut": bridged.split.cut if bridged.split else None},
        "calibration": {"source": prepared.calibration_source,
                        "samples": int(len(prepared.calibration))},
        "evaluation": {"source": evaluation.source if evaluation else None,
                       "clips": len(evaluation.y) if evaluation else 0,
                       "skipped": evaluation.skipped if evaluation else 0},
        "stages": stages, "accuracy_drop_points": drops,
        "warnings": warnings_for(stages, drops) + notes,
    }


def stage_scores(bundle: Bundle, prepared: Prepared, clips: np.ndarray | None,
                 threads: int | None) -> dict[str, np.ndarray | None]:
    """(N, C) scores of each stage on the evaluation clips (all None without clips)."""
    names = ["keras", "float", "int8"] + (["streaming_int8"] if bundle.streaming else [])
    if clips is None:
        return dict.fromkeys(names)
    frame_model = prepared.geometry.frame_model
    files = bundle.files
    scores = {"keras": keras_scores(prepared.loaded.model, clips, frame_model),
              "float": tflite_scores(files["model_float.tflite"].path, clips, frame_model, threads),
              "int8": tflite_scores(files["model_int8.tflite"].path, clips, frame_model, threads)}
    if bundle.streaming:
        scores["streaming_int8"] = streaming_scores(files["frame_int8.tflite"].path,
                                                    files["head_int8.tflite"].path, clips, threads)
    return scores


def _tflite_stage(converted: Converted, metrics: dict[str, Any] | None, threads: int | None,
                  **details: Any) -> dict[str, Any]:
    path = converted.path
    return stage_entry(
        size_bytes=path.stat().st_size, gzip_bytes=gzip_size(path), metrics=metrics,
        latency_ms_p50=tflite_latency_ms(path, threads),
        latency_ms_p50_1thread=tflite_latency_ms(path, 1), quantization=converted.quantization,
        xnnpack=vars(converted.xnnpack) if converted.xnnpack else None, ops=converted.ops,
        **details)


def _streaming_stage(bundle: Bundle, metrics: dict[str, Any] | None, threads: int | None,
                     **details: Any) -> dict[str, Any]:
    """Frame + head as the agent runs them. Latency is the steady-state cost per camera frame:
    one frame-model run plus one head run."""
    parts = {part: _tflite_stage(bundle.files[name], None, threads, file=name)
             for part, name in (("frame", "frame_int8.tflite"), ("head", "head_int8.tflite"))}
    quantizations = {part["quantization"] for part in parts.values()}
    return stage_entry(
        size_bytes=sum(p["size_bytes"] for p in parts.values()),
        gzip_bytes=sum(p["gzip_bytes"] for p in parts.values()), metrics=metrics,
        latency_ms_p50=sum(p["latency_ms_p50"] for p in parts.values()),
        latency_ms_p50_1thread=sum(p["latency_ms_p50_1thread"] for p in parts.values()),
        quantization=quantizations.pop() if len(quantizations) == 1 else "; ".join(
            f"{part}: {p['quantization']}" for part, p in parts.items()),
        xnnpack=_sum_coverage([p["xnnpack"] for p in parts.values()]), parts=parts, **details)


def _sum_coverage(coverages: list[dict[str, int] | None]) -> dict[str, int] | None:
    if any(coverage is None for coverage in coverages):
        return None
    return {key: sum(coverage[key] for coverage in coverages) for key in coverages[0]}


def bundle_mode(bundle: Bundle, shape: Geometry) -> str:
    return "frame" if shape.frame_model else "streaming" if bundle.streaming else "clip"


def make_readable(directory: Path) -> None:
    """Give the bundle the permissions of a normally created folder (the temporary files it was
    assembled from are private): the agent's service user must be able to read it."""
    umask = os.umask(0)
    os.umask(umask)
    directory.chmod(0o777 & ~umask)
    for path in directory.iterdir():
        path.chmod(0o666 & ~umask)


def output_dir(model: Path, out: Path | None) -> Path:
    """`--out`, default `<model stem>_bundle/` beside the model; its parent must exist."""
    out = out if out is not None else model.with_name(f"{model.stem}_bundle")
    if not out.parent.is_dir():
        raise BadInput(f"--out {out}: the parent folder {out.parent} does not exist")
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out}: exists and is not a folder")
    return out


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
