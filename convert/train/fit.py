"""Training a zoo architecture on a loaded dataset, and evaluating it on the held-out clips.

Recipe (the papers': Adam, augmentation, early stopping, LR reduction on plateau):
- clip models are fitted through `zoo.fold_time(model)` (one B*T batch per TimeDistributed,
  several times faster to trace); the view shares every weight, so the returned `model` is
  trained and is what gets saved;
- frame models (kind "frame") are fitted on the individual frames of the training clips and
  evaluated per clip by averaging frame scores (`zoo.clip_scores`), as the ResNet papers do;
- validation: a split of the TRAINING clips by group (no person in both), stratified per class;
  when some class has fewer than MIN_GROUPS_TO_CARVE groups in train there is nothing to carve
  without starving training, so the test split validates instead — early stopping then sees
  the test clips and the test figure is optimistic; `validation` in the result says which;
- EarlyStopping and ReduceLROnPlateau watch the validation loss (on a handful of clips the
  accuracy saturates early and stops carrying a signal; the loss keeps one);
- `config.transfer` (settings.Transfer) may split the run into phases: the head alone on a
  frozen backbone, then the top blocks at a lower rate (`transfer`); each phase is its own `fit`
  with its own early stopping, learning-rate schedule and epochs;
- `final_lr_fraction` < 1 decays the learning rate along a half cosine to that share of it by
  the last planned epoch (Ultralytics' `lrf`): with a fixed budget of epochs, the last ones then
  settle instead of jumping around the minimum. It multiplies whatever ReduceLROnPlateau did.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Iterator

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from har_convert.data import ClipSet, Dataset, stratified_group_split
from har_convert.data.batches import fixed_batches, frames_of, training_dataset
from har_convert.settings import TrainConfig
from har_convert.train.metrics import classification_report
from har_convert.train.pretrained import backbone_of, load_backbone_weights
from har_convert.train.transfer import freeze, unfreeze_top
from har_convert.train.zoo import build, clip_scores, fold_time, spec_for

MIN_GROUPS_TO_CARVE = 3
VALIDATION_BATCH = 32


@dataclass(frozen=True)
class TrainResult:
    """model: the trained (original, unfolded) model; report: metrics on the test split;
    history: per epoch, the phases one after the other; schedule: the phases as trained."""

    model: keras.Model
    report: dict[str, Any]
    epochs_run: int
    best_epoch: int
    seconds: float
    validation: str
    history: dict[str, list[float]]
    schedule: dict[str, Any]


def build_model(config: TrainConfig, num_classes: int) -> keras.Model:
    """The model before training, after seeding every generator (weights, dropout, shuffling):
    random, or with the pretrained backbone `config.weights` names."""
    keras.utils.set_random_seed(config.seed)
    options = {} if config.dropout is None else {"dropout": config.dropout}
    model = build(config.arch, num_classes=num_classes, frames=config.frames, size=config.size,
                  alpha=config.alpha, **options)
    if config.weights is not None:
        load_backbone_weights(model, config.arch, config.weights, config.size, config.alpha)
    return model


def train(model: keras.Model, config: TrainConfig, data: Dataset,
          progress: bool = True) -> TrainResult:
    """Fit `model` (from `build_model`) on `data.train` in the phases of `config.transfer`,
    evaluate it on `data.test`."""
    spec = spec_for(config.arch)
    view = fold_time(model) if spec.kind == "clip" else model
    fit_clips, val_clips, validation = split_validation(data, config.val_fraction, config.seed)
    frame_level = spec.kind == "frame"
    batches = training_dataset(fit_clips, config.batch, config.seed, config.augmentation,
                               frame_level=frame_level)
    validation_batches = _validation_batches(val_clips, frame_level)
    history: dict[str, list[float]] = {}
    schedule: dict[str, Any] = {}
    started = time.monotonic()
    for phase in phases(model, config, schedule):
        fitted = _fit_phase(view, batches, validation_batches, config, *phase, progress)
        for key, values in fitted.items():
            history.setdefault(key, []).extend(float(v) for v in values)
    seconds = time.monotonic() - started
    report = classification_report(data.test.y, predict_clips(view, frame_level, data.test),
                                   data.labels)
    epochs_run = len(history["loss"])
    best_epoch = int(np.argmin(history["val_loss"])) + 1
    return TrainResult(model, report, epochs_run, best_epoch, seconds, validation, history,
                       schedule)


def phases(model: keras.Model, config: TrainConfig,
           schedule: dict[str, Any]) -> Iterator[tuple[float, int]]:
    """(learning rate, epochs) of each phase, the backbone frozen or unfrozen before each is
    fitted; `schedule` is filled with what was done, for the training report."""
    transfer = config.transfer
    if not transfer.phased:
        schedule["phases"] = [{"trains": "everything", "epochs": config.epochs,
                               "learning_rate": config.learning_rate}]
        yield config.learning_rate, config.epochs
        return
    backbone = backbone_of(model)
    freeze(backbone)
    schedule["phases"] = [{"trains": "head (backbone frozen, BatchNorm in inference mode)",
                           "epochs": config.epochs, "learning_rate": config.learning_rate}]
    yield config.learning_rate, config.epochs
    if transfer.unfreeze_top:
        unfrozen = unfreeze_top(backbone, transfer.unfreeze_top)
        schedule["phases"].append({
            "trains": f"head + top {len(unfrozen)} backbone blocks (BatchNorm frozen)",
            "blocks": unfrozen, "epochs": transfer.finetune_epochs,
            "learning_rate": transfer.finetune_lr})
        yield transfer.finetune_lr, transfer.finetune_epochs


def _fit_phase(view: keras.Model, batches: tf.data.Dataset, validation: tf.data.Dataset,
               config: TrainConfig, learning_rate: float, epochs: int,
               progress: bool) -> dict[str, list[float]]:
    """One `fit` from a fresh compile (which takes in what is trainable now)."""
    view.compile(optimizer=keras.optimizers.Adam(learning_rate),
                 loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                            restore_best_weights=True)
    history = view.fit(
        batches, validation_data=validation, epochs=epochs, shuffle=False, verbose=0,
        callbacks=[
            stopper,
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                              patience=max(2, config.patience // 3),
                                              min_lr=learning_rate / 64),
            CosineDecay(epochs, config.final_lr_fraction),
            EpochProgress(epochs, len(batches), enabled=progress)])
    return history.history


def split_validation(data: Dataset, fraction: float, seed: int) -> tuple[ClipSet, ClipSet, str]:
    """(clips to fit, clips to validate on, a sentence saying which) — see the module doc."""
    train = data.train
    groups_per_class = [len({g for g, y in zip(train.groups, train.y) if y == label})
                        for label in np.unique(train.y)]
    if min(groups_per_class) < MIN_GROUPS_TO_CARVE:
        return train, data.test, (f"test split (some class has fewer than {MIN_GROUPS_TO_CARVE}"
                                  " groups in train; test accuracy is optimistic)")
    fit_idx, val_idx = stratified_group_split(train.y.tolist(), list(train.groups), fraction,
                                              seed)
    return train.subset(fit_idx), train.subset(val_idx), \
        f"{len(val_idx)} train clips held out by group (fraction {fraction:g})"


def predict_clips(model: keras.Model, frame_level: bool, clips: ClipSet) -> np.ndarray:
    """(N, C) clip scores: the model's output, or the mean over frames for a frame model."""
    if frame_level:
        return clip_scores(model, clips.inputs())
    return model.predict(clips.inputs(), batch_size=8, verbose=0)


def _validation_batches(clips: ClipSet, frame_level: bool) -> tf.data.Dataset:
    x, y = frames_of(clips.inputs(), clips.y) if frame_level else (clips.inputs(), clips.y)
    return fixed_batches(x, y, batch=VALIDATION_BATCH)


class CosineDecay(keras.callbacks.Callback):
    """Scale the learning rate by cosine_factor(epoch) / cosine_factor(epoch - 1) at each epoch's
    start: a half cosine from 1 to `final_fraction` over `epochs`, composed with (not replacing)
    the reductions ReduceLROnPlateau makes."""

    def __init__(self, epochs: int, final_fraction: float) -> None:
        super().__init__()
        self.epochs, self.final_fraction = epochs, final_fraction

    def factor(self, epoch: int) -> float:
        progress = epoch / max(1, self.epochs - 1)
        half_cosine = (1 + math.cos(math.pi * progress)) / 2
        return self.final_fraction + (1 - self.final_fraction) * half_cosine

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == 0 or self.final_fraction == 1.0:
            return
        rate = self.model.optimizer.learning_rate
        rate.assign(float(rate.numpy()) * self.factor(epoch) / self.factor(epoch - 1))


class EpochProgress(keras.callbacks.Callback):
    """One tqdm bar over all training steps; the epoch's losses and accuracies as its postfix."""

    def __init__(self, epochs: int, steps_per_epoch: int, enabled: bool = True) -> None:
        super().__init__()
        self.epochs, self.steps, self.enabled = epochs, steps_per_epoch, enabled
        self.bar: tqdm | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.bar = tqdm(total=self.epochs * self.steps, desc="training", unit="step",
                        disable=not self.enabled)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.bar.set_description(f"epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.bar.set_postfix({key: f"{logs[key]:.3f}" for key in
                              ("loss", "accuracy", "val_loss", "val_accuracy") if key in logs})

    def on_train_end(self, logs: dict | None = None) -> None:
        self.bar.close()
