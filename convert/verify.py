"""The verify stage of har-convert: every stage scored on held-out clips and timed, as a report.

Stages: `keras` (the source model), `float` and `int8` (the whole-model TFLite files) and, when
the model was split, `streaming_int8` (frame + head run as the agent runs them). Accuracy figures
come from `har_convert.metrics`; agreement is top-1 agreement with the float (or int8) model; the
streaming latency is the steady-state cost per camera frame, one frame run plus one head run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from har_convert.bridge import OUTPUT_TOLERANCE
from har_convert.evaluate import (agreement, keras_latency_ms, keras_scores, streaming_scores,
                                  tflite_latency_ms, tflite_scores)
from har_convert.metrics import classification_report
from har_convert.report import accuracy_drops, gzip_size, stage_entry, warnings_for
from har_convert.tflite import Converted

if TYPE_CHECKING:
    from har_convert.pipeline import Bridged, Bundle, Prepared


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
                                      shipped=name in bundle.shipped,
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
        "name": source.stem, "bundle": str(prepared.out), "mode": bundle.mode(shape.frame_model),
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
