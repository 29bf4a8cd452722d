"""The verify stage of har-convert: every stage scored on held-out clips and timed, as a report.

Stages: `keras` (the source model), `float` and `int8` (the whole-model TFLite files) and, when
the model was split, `streaming_int8` (frame + head run as the agent runs them). After the
optimisation stages (har_convert.optimize), `float` stays the model before them (the reference
every drop is measured from), `pruned` is the pruned float model (the bundle's model_float),
`qat` the quantization-aware Keras model (int8 simulated in TensorFlow) and `ptq_int8` the
post-training int8 of the model QAT started from, for comparison with the QAT `int8`. Every stage
has its parameters and MACs per clip (har_convert.graph.complexity). Accuracy figures
come from `har_convert.train.metrics`; agreement is top-1 agreement with the float (or int8) model; the
streaming latency is the steady-state cost per camera frame, one frame run plus one head run.
`layer_latency`: the int8 model's time per layer, before and after pruning
(har_convert.verify.layer_latency).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from har_convert.bridge.rebuild import OUTPUT_TOLERANCE
from har_convert.graph.complexity import complexity
from har_convert.quantize.tflite import Converted
from har_convert.train.metrics import classification_report
from har_convert.verify import layer_latency
from har_convert.verify.report import (
    WARN_DROP_POINTS,
    accuracy_drops,
    gzip_size,
    stage_entry,
    warnings_for,
)
from har_convert.verify.scoring import (
    agreement,
    keras_latency_ms,
    keras_scores,
    streaming_scores,
    tflite_latency_ms,
    tflite_scores,
)

if TYPE_CHECKING:
    from har_convert.artifacts import Bridged, Prepared
    from har_convert.export.files import Bundle
    from har_convert.optimize import Optimized


def verify(bundle: Bundle, prepared: Prepared, bridged: Bridged, threads: int | None,
           optimized: Optimized) -> dict[str, Any]:
    """Score every stage on the held-out clips and time it; assemble the report."""
    shape, evaluation = prepared.geometry, prepared.evaluation
    clips = evaluation.inputs() if evaluation is not None else None
    files = tflite_stages(bundle, optimized)
    scores = stage_scores(bundle, files, optimized, prepared, clips, threads)

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
    for stage, name in files.items():
        stages[stage] = _tflite_stage(bundle.files[name], metrics(stage), threads, file=name,
                                      shipped=name in bundle.shipped,
                                      agreement_vs_float=agree(stage, "float"),
                                      agreement_vs_keras=agree(stage, "keras"))
    if optimized.quantization_aware:
        stages["qat"] = stage_entry(
            size_bytes=None, gzip_bytes=None, metrics=metrics("qat"),
            latency_ms_p50=keras_latency_ms(optimized.final, shape.input_shape),
            quantization="int8 simulated (QAT, TensorFlow)",
            agreement_vs_float=agree("qat", "float"))
    if bundle.streaming:
        stages["streaming_int8"] = _streaming_stage(
            bundle, metrics("streaming_int8"), threads,
            agreement_vs_float=agree("streaming_int8", "float"),
            agreement_vs_int8=agree("streaming_int8", "int8"))
    add_complexity(stages, optimized, shape.frames if shape.frame_model else 1)
    stages = {name: stages[name] for name in STAGE_ORDER if name in stages}
    drops = accuracy_drops(stages)
    notes = [] if evaluation else ["no evaluation clips (--data or --eval): accuracy was not "
                                   "measured"]
    notes += optimization_notes(stages, optimized)
    if (bridged.max_abs_diff or 0.0) > OUTPUT_TOLERANCE:
        notes.append(f"bridge: scores differ from the Keras 3 model's by "
                     f"{bridged.max_abs_diff:.2g} (> {OUTPUT_TOLERANCE:g}) on random inputs, "
                     "although every layer matches on its own inputs (float rounding compounded "
                     "through the network)")
    return {
        "name": source.stem, "bundle": prepared.out.name, "mode": bundle.mode(shape),
        "source_model": {"path": source.name, "sha256": prepared.loaded.sha256,
                         "flavour": prepared.loaded.flavour},
        "frames": shape.frames, "sample_fps": prepared.sample_fps,
        **({"keypoints": prepared.keypoints.model_dump()} if prepared.keypoints else
           {"input": prepared.input.model_dump()}),
        "labels": prepared.labels,
        "labels_source": prepared.labels_source,
        "bridge": {"max_abs_diff": bridged.max_abs_diff, "tolerance": OUTPUT_TOLERANCE,
                   "streaming_cut": bridged.split.cut if bridged.split else None,
                   "rewrites": bridged.rewrites},
        "calibration": {"source": prepared.calibration_source,
                        "samples": int(len(prepared.calibration))},
        "evaluation": {"source": evaluation.source if evaluation else None,
                       "clips": len(evaluation.y) if evaluation else 0,
                       "skipped": evaluation.skipped if evaluation else 0},
        "optimization": {**optimized.details, "skipped": optimized.skipped},
        "stages": stages, "accuracy_drop_points": drops,
        "layer_latency": layer_latency.measure(bundle, optimized),
        "warnings": prepared.assumed + warnings_for(stages, drops) + notes,
    }


STAGE_ORDER = ("keras", "float", "pruned", "qat", "int8", "ptq_int8", "streaming_int8")


def tflite_stages(bundle: Bundle, optimized: Optimized) -> dict[str, str]:
    """Stage -> the bundle file it scores (see the module doc)."""
    stages = ({"float": "reference_float.tflite", "pruned": "model_float.tflite"}
              if optimized.pruned else {"float": "model_float.tflite"})
    stages["int8"] = "model_int8.tflite"
    if "ptq_int8.tflite" in bundle.files:
        stages["ptq_int8"] = "ptq_int8.tflite"
    return stages


def add_complexity(stages: dict[str, dict[str, Any]], optimized: Optimized,
                   frames_per_clip: int) -> None:
    """Parameters and MACs per clip of the model behind each stage (streaming excepted: it
    computes each frame once whatever the window, so a per-clip count does not apply)."""
    models = {"keras": optimized.reference, "float": optimized.reference,
              "pruned": optimized.float_model, "qat": optimized.final,
              "ptq_int8": optimized.float_model, "int8": optimized.final}
    counted: dict[int, Any] = {}
    for stage, entry in stages.items():
        if stage in models:
            model = models[stage]
            counted.setdefault(id(model), complexity(model, frames_per_clip))
            entry["params"] = counted[id(model)].params
            entry["macs_per_clip"] = counted[id(model)].macs


def optimization_notes(stages: dict[str, dict[str, Any]], optimized: Optimized) -> list[str]:
    """The skipped-stage line, a --target-latency the allocation could not reach, and the
    accuracy pruning cost when beyond WARN_DROP_POINTS."""
    notes = [optimized.skipped] if optimized.skipped else []
    prune = optimized.details.get("prune", {})
    if prune.get("predicted_latency_ratio", 0) > prune.get("target_latency", 1):
        notes.append(f"pruned: --target-latency {prune['target_latency']:g} is out of reach on "
                     f"this CPU: narrower int8 operators measured no faster past a predicted "
                     f"{prune['predicted_latency_ratio']:.2f} of the unpruned time, so pruning "
                     "stopped there")
    before, after = (stages.get(name, {}).get("accuracy") for name in ("float", "pruned"))
    if before is not None and after is not None and 100 * (before - after) > WARN_DROP_POINTS:
        notes.append(f"pruned: accuracy {100 * (before - after):.1f} points below the float "
                     "model before pruning (more --finetune-epochs, or a smaller --prune)")
    return notes


def stage_scores(bundle: Bundle, files: dict[str, str], optimized: Optimized,
                 prepared: Prepared, clips: np.ndarray | None,
                 threads: int | None) -> dict[str, np.ndarray | None]:
    """(N, C) scores of each stage on the evaluation clips (all None without clips)."""
    names = ["keras", *files] + (["qat"] if optimized.quantization_aware else []) + (
        ["streaming_int8"] if bundle.streaming else [])
    if clips is None:
        return dict.fromkeys(names)
    frame_model = prepared.geometry.frame_model
    scores = {"keras": keras_scores(prepared.loaded.model, clips, frame_model)}
    for stage, name in files.items():
        scores[stage] = tflite_scores(bundle.files[name].path, clips, frame_model, threads)
    if optimized.quantization_aware:
        scores["qat"] = keras_scores(optimized.final, clips, frame_model)
    if bundle.streaming:
        scores["streaming_int8"] = streaming_scores(bundle.files["frame_int8.tflite"].path,
                                                    bundle.files["head_int8.tflite"].path, clips,
                                                    threads)
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
