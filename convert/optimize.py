"""har-convert's optimisation stages, between `bridge` and `convert`: prune -> fine-tune ->
sparsity -> quantization-aware training.

Each stage needs labelled clips (`--data`): pruning removes channels the model was using and is
only useful after fine-tuning, sparsity is learned while fine-tuning, QAT is training. Without
them the bridged model goes to the converter as it is (post-training int8), and a stage the user
asked for explicitly is reported as skipped in one line. Fine-tuning distils from the unpruned
model by default (`--no-distill` to train on the labels alone); QAT runs by default whenever
there is data (`--qat-epochs 0` or `--no-qat` turns it off).

    optimized = optimize(bridged_model, training_data(...), OptimizeSettings(prune=0.5))
    optimized.float_model    # pruned (+ sparse) float model: model_float.tflite, ptq_int8
    optimized.final          # what model_int8.tflite is converted from (the QAT model)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import tf_keras

from har_convert.data import ClipSet, Dataset, load_dataset
from har_convert.prune.allocate import TimeInt8, plan_for_latency
from har_convert.prune.channels import PruneResult, prune_channels, pruned
from har_convert.prune.latency import layer_latency
from har_convert.prune.sparsity import apply_sparsity
from har_convert.quantize.qat import QAT_CONFIG, quantize_aware
from har_convert.settings import (
    DEFAULT_QAT_EPOCHS,
    FINETUNE_LR,
    OptimizeSettings,
    parse_sparsity,
)
from har_convert.train.finetune import FinetuneConfig, FinetuneResult, finetune
from har_device.core.errors import BadInput


@dataclass(frozen=True)
class Optimized:
    """reference: the bridged model the stages started from; float_model: the float model they
    produced (the reference when none ran);
    final: the model the int8 conversion takes (the QAT model after QAT, else float_model);
    details: what each stage did, for the report; skipped: the one line saying why nothing ran
    although the user asked, else None."""

    reference: tf_keras.Model
    float_model: tf_keras.Model
    final: tf_keras.Model
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    @property
    def pruned(self) -> bool:
        return "prune" in self.details

    @property
    def quantization_aware(self) -> bool:
        return "qat" in self.details


def optimize(model: tf_keras.Model, data: Dataset | None, settings: OptimizeSettings,
             progress: bool = True, time_int8: TimeInt8 | None = None) -> Optimized:
    """Run the stages `settings` ask for on the bridged `model` (see the module doc).
    `time_int8` profiles a model's int8 conversion per operator: --target-latency allocates by
    the profiles of `model` and of narrower copies, and the report compares the pruned model
    with `model`'s."""
    if data is None:
        asked = settings.explicit_requests()
        skipped = (f"{', '.join(asked)} skipped: pruning, sparsity and QAT train on labelled "
                   "clips; pass --data DIR") if asked else None
        return Optimized(model, model, model, skipped=skipped)
    spec = parse_sparsity(settings.sparsity) if settings.sparsity else None
    config = FinetuneConfig(learning_rate=settings.finetune_lr or FINETUNE_LR, seed=settings.seed,
                            augmentation=settings.augmentation)
    teacher = model if settings.distill else None
    current, details = model, {}
    if settings.pruning:
        result, details["prune"] = prune(model, settings, time_int8)
        current = result.model
        tuned = finetune(current, data, settings.finetune_epochs, teacher, config, progress)
        details["finetune"] = {**_training_details(tuned, distilled=teacher is not None),
                               "learning_rate": config.learning_rate,
                               "augmentation": asdict(config.augmentation)}
    if spec is not None:
        sparse = apply_sparsity(current, spec, data, settings.finetune_epochs, teacher, config,
                                progress)
        details["sparsity"] = {"pattern": str(spec), "layers": sparse.layers,
                               "kernel_sparsity": round(sparse.sparsity, 4),
                               **_training_details(sparse.training, teacher is not None)}
        current = sparse.model
    qat_epochs = DEFAULT_QAT_EPOCHS if settings.qat_epochs is None else settings.qat_epochs
    if not qat_epochs:
        return Optimized(model, current, current, details)
    qat = quantize_aware(current, data, qat_epochs, preserve_sparsity=spec is not None,
                         config=replace(QAT_CONFIG, seed=settings.seed,
                                         augmentation=settings.augmentation),
                         progress=progress)
    details["qat"] = {"scheme": "8-bit prune-preserving" if spec else "8-bit default",
                      "quantized_layers": len(qat.quantized), "left_float": qat.left_float,
                      **_training_details(qat.training, distilled=False)}
    return Optimized(model, current, qat.model, details)


def prune(model: tf_keras.Model, settings: OptimizeSettings,
          time_int8: TimeInt8 | None) -> tuple[PruneResult, dict[str, Any]]:
    """A uniform --prune, or the allocation for --target-latency; with what was done."""
    details: dict[str, Any] = {"round_to": settings.round_to, "importance": settings.importance,
                               "exclude": list(settings.exclude)}
    profile = time_int8(model) if time_int8 is not None else None
    if settings.target_latency:
        if profile is None:
            raise ValueError("--target-latency needs the int8 models' profiles")
        plan, allocation = plan_for_latency(model, profile, settings.target_latency,
                                            settings.round_to, settings.importance,
                                            settings.exclude, time_int8)
        result = pruned(model, plan)
        details |= {"target_latency": settings.target_latency,
                    "predicted_latency_ratio": round(allocation.predicted_ratio, 4),
                    "measured_ops_ms": {"1.0": round(profile.sum_ms, 4),
                                        **{str(keep): ms
                                           for keep, ms in allocation.measured.items()}}}
    else:
        result = prune_channels(model, settings.prune, settings.round_to, settings.importance,
                                settings.exclude)
        details["ratio"] = settings.prune
    details |= {"groups_pruned": len(result.plan.keep),
                "removed": {name: list(pair) for name, pair in result.removed.items()}}
    if profile is not None:
        details["latency_before"] = layer_latency(model, result.plan.graph, profile)
    return result, details


def training_data(data_dir: Path, labels: list[str], frames: int, size: int,
                  sample_fps: float | None, seed: int,
                  decoded_test: ClipSet | None = None) -> Dataset:
    """The --data folder split as har-train split it (same seed), its class indices mapped to
    the model's label order by name; `decoded_test`: its test split, already decoded."""
    data = load_dataset(data_dir, frames, size, sample_fps, seed=seed, decoded_test=decoded_test)
    unknown = sorted(set(data.labels) - set(labels))
    if unknown:
        raise BadInput(f"--data {data_dir}: classes {unknown} are not among the model's labels "
                       f"{labels}")
    to_model = np.array([labels.index(name) for name in data.labels])

    def relabel(clips: ClipSet) -> ClipSet:
        return replace(clips, y=to_model[clips.y])

    return replace(data, labels=list(labels), train=relabel(data.train), test=relabel(data.test))


def _training_details(run: FinetuneResult, distilled: bool) -> dict[str, Any]:
    return {"epochs": len(run.val_accuracy), "best_epoch": run.best_epoch,
            "val_accuracy": [round(a, 4) for a in run.val_accuracy], "distilled": distilled,
            "validation": run.validation}
