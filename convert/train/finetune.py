"""Fine-tuning a tf_keras model (pruned, sparse or quantization-aware) on labelled clips.

Pruning removes channels the model was using, so it is fine-tuned afterwards; quantization-aware
and sparsity training are fine-tuning too. All three go through this one loop:
- the batches are har-train's (`training_dataset`: the same augmentation), clip models see whole
  clips (tf_keras's TimeDistributed already folds time into the batch), frame models see frames;
- optional knowledge distillation from the unpruned model: loss = (1 - w) * cross-entropy on the
  labels + w * T^2 * KL(teacher || student) on distributions softened by temperature T (Hinton et
  al. 2015). The zoo's models end in a softmax, so log-probabilities stand in for the logits;
- the learning rate decays along a cosine to a tenth over the run;
- BatchNorm moving statistics follow the batches with momentum 0.9 during the run: pruning changed
  what flows into every BatchNorm after it, and keras.applications' momentum of 0.999 would leave
  the statistics where they were for the few hundred steps of a fine-tuning run, so the model
  would be evaluated (and converted) with statistics of the network before pruning;
- validation on a group-held-out part of the training clips (har-train's `split_validation`)
  after every epoch; the weights of the best epoch (highest accuracy, then lowest loss: on a few
  clips accuracy ties often) are restored at the end.
A hand-written loop rather than `fit`: the distillation loss needs the teacher's outputs on the
same augmented batch, and a tfmot pruning wrapper inside a TimeDistributed is invisible to
tfmot's own callback (see `sparsity`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import tensorflow as tf
import tf_keras
from tqdm import tqdm

from har_convert.data import ClipSet, Dataset
from har_convert.data.batches import fixed_batches, training_dataset
from har_convert.settings import FINETUNE_LR, Augmentation
from har_convert.train.fit import split_validation
from har_device.core.errors import BadInput

EPSILON = 1e-7
BATCHNORM_MOMENTUM = 0.9


@dataclass(frozen=True)
class FinetuneConfig:
    batch: int = 8
    learning_rate: float = FINETUNE_LR
    temperature: float = 4.0
    distill_weight: float = 0.5
    seed: int = 0
    val_fraction: float = 0.2
    augmentation: Augmentation = field(default_factory=Augmentation)


@dataclass(frozen=True)
class FinetuneResult:
    """model: the fine-tuned model (trained in place, best epoch's weights); best_epoch: 1-based;
    val_accuracy / val_loss: per epoch; validation: which clips validated."""

    model: tf_keras.Model
    best_epoch: int
    val_accuracy: list[float]
    val_loss: list[float]
    validation: str


def finetune(model: tf_keras.Model, data: Dataset, epochs: int,
             teacher: tf_keras.Model | None = None, config: FinetuneConfig = FinetuneConfig(),
             progress: bool = True, description: str = "fine-tuning") -> FinetuneResult:
    """Train `model` on `data.train` for `epochs` (see the module doc), distilling from
    `teacher` when given; the best epoch's weights are restored."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise BadInput(f"epochs: expected an integer >= 1, got {epochs!r}")
    frame_level = len(model.input_shape) == 4
    fit_clips, val_clips, validation = split_validation(data, config.val_fraction, config.seed)
    batches = training_dataset(fit_clips, config.batch, config.seed, config.augmentation,
                               frame_level=frame_level)
    steps = epochs * int(batches.cardinality())
    optimizer = tf_keras.optimizers.Adam(tf_keras.optimizers.schedules.CosineDecay(
        config.learning_rate, steps, alpha=0.1))
    train_step = _train_step(model, optimizer, teacher, config)
    accuracies, losses, best, best_weights = [], [], None, None
    with tqdm(total=steps, desc=description, unit="step", disable=not progress) as bar, \
            batchnorm_momentum(model, BATCHNORM_MOMENTUM):
        for epoch in range(epochs):
            for x, y in batches:
                loss = train_step(x, y)
                bar.update(1)
            accuracy, val_loss = evaluate(model, val_clips)
            accuracies.append(accuracy)
            losses.append(val_loss)
            bar.set_postfix(loss=f"{float(loss):.3f}", val_accuracy=f"{accuracy:.3f}")
            if best is None or (accuracy, -val_loss) > best:
                best, best_weights, best_epoch = (accuracy, -val_loss), model.get_weights(), epoch
    model.set_weights(best_weights)
    return FinetuneResult(model, best_epoch + 1, accuracies, losses, validation)


@contextmanager
def batchnorm_momentum(model: tf_keras.Model, momentum: float) -> Iterator[None]:
    """Every BatchNorm of `model` (nested and wrapped ones too) at most at `momentum` inside."""
    layers = [m for m in model.submodules if isinstance(m, tf_keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = min(layer.momentum, momentum)
    try:
        yield
    finally:
        for layer, value in zip(layers, saved):
            layer.momentum = value


def _train_step(model: tf_keras.Model, optimizer: tf_keras.optimizers.Optimizer,
                teacher: tf_keras.Model | None, config: FinetuneConfig):
    cross_entropy = tf_keras.losses.SparseCategoricalCrossentropy()
    temperature, weight = config.temperature, config.distill_weight

    @tf.function(reduce_retracing=True)  # the last batch of an epoch is smaller
    def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            scores = model(x, training=True)
            loss = cross_entropy(y, scores)
            if teacher is not None:
                targets = soften(teacher(x, training=False), temperature)
                student = soften(scores, temperature)
                divergence = tf.reduce_mean(tf.reduce_sum(
                    targets * (tf.math.log(targets + EPSILON) - tf.math.log(student + EPSILON)),
                    axis=-1))
                loss = (1 - weight) * loss + weight * temperature ** 2 * divergence
            loss += tf.add_n(model.losses) if model.losses else 0.0
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return step


def soften(probabilities: tf.Tensor, temperature: float) -> tf.Tensor:
    """softmax(logits / T), with log-probabilities as the logits."""
    return tf.nn.softmax(tf.math.log(probabilities + EPSILON) / temperature, axis=-1)


def predict(model: tf_keras.Model, clips: ClipSet, batch: int = 8) -> np.ndarray:
    """(N, C) clip scores of a clip model, or of a frame model averaged over each clip's frames.

    Through `model.predict` (one traced function, kept by the model across calls), not eager
    calls: measured on the demo LRCN, 336 clips took 2.7 s instead of 6.5 s.
    """
    x = clips.inputs()
    if len(model.input_shape) == 4:
        n, t = x.shape[:2]
        per_frame = model.predict(fixed_batches(x.reshape((n * t, *x.shape[2:])),
                                                batch=batch * t), verbose=0)
        return per_frame.reshape((n, t, -1)).mean(axis=1)
    return model.predict(fixed_batches(x, batch=batch), verbose=0)


def evaluate(model: tf_keras.Model, clips: ClipSet) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on `clips`."""
    scores = predict(model, clips)
    accuracy = float(np.mean(np.argmax(scores, axis=1) == clips.y))
    loss = float(-np.mean(np.log(scores[np.arange(len(clips.y)), clips.y] + EPSILON)))
    return accuracy, loss
