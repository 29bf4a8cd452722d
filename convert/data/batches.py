"""The tf.data training pipeline over decoded clips, with the papers' augmentation.

Augmentation (LRCN/ConvLSTM and the lightweight-HAR papers): horizontal flip, a small rotation
and a random crop resized back to the frame size. One transform is drawn per CLIP and applied to
all its frames: a clip whose frames were flipped or cropped differently would show motion that
never happened. Rotation and crop are one affine warp (a single resampling, reflect-padded).
Randomness is stateless and seeded: the same seed gives the same batches, and the draws change
from epoch to epoch (`rerandomize_each_iteration`).

Keypoint windows (float32 (T, FEATURES), already normalised) get the one augmentation that is not
already in the synthetic cameras' variety: the mirror image (`mirror_features`' arithmetic, in
TensorFlow), with p=0.5 when `flip` is on. Rotations and scales are the cameras' own business.

Separate from the loader because it imports TensorFlow; `har_convert.data` itself does not.
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from har_convert.data.dataset import ClipSet
from har_convert.settings import Augmentation
from har_device.core.keypoints import FEATURES, KEYPOINTS, MIRROR, PER_KEYPOINT


def training_dataset(clips: ClipSet, batch: int, seed: int,
                     augmentation: Augmentation = Augmentation(),
                     frame_level: bool = False) -> tf.data.Dataset:
    """Shuffled, augmented batches of (float32 x = pixel/255, int label), one pass per epoch.

    frame_level: yield the clips' frames one by one (for frame models: kind "frame"), each
    with its clip's label and its own augmentation draw.
    """
    if clips.x.dtype != np.uint8:
        return keypoint_batches(clips, batch, seed, augmentation.flip)
    x, y = frames_of(clips.x, clips.y) if frame_level else (clips.x, clips.y)
    samples = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
        len(y), seed=seed, reshuffle_each_iteration=True)
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def prepare(sample: tuple[tf.Tensor, tf.Tensor], draw: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        pixels, label = sample
        return augment(tf.cast(pixels, tf.float32) / 255.0, draw, augmentation), label

    return without_autotune(tf.data.Dataset.zip(samples, draws)
                            .map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
                            .batch(batch)
                            .prefetch(tf.data.AUTOTUNE))


def keypoint_batches(clips: ClipSet, batch: int, seed: int, mirror: bool) -> tf.data.Dataset:
    """Shuffled batches of keypoint windows, each mirrored with p=0.5 when `mirror`."""
    samples = tf.data.Dataset.from_tensor_slices((clips.x, clips.y)).shuffle(
        len(clips.y), seed=seed, reshuffle_each_iteration=True)
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    order = tf.constant(MIRROR)
    signs = tf.constant([-1.0, 1.0, -1.0, 1.0, 1.0])

    def prepare(sample: tuple[tf.Tensor, tf.Tensor],
                draw: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        features, label = sample
        if not mirror:
            return features, label
        steps = tf.shape(features)[0]
        joints = tf.reshape(features, [steps, KEYPOINTS, len(PER_KEYPOINT)])
        mirrored = tf.reshape(tf.gather(joints, order, axis=1) * signs, [steps, FEATURES])
        flip = tf.random.stateless_uniform([], draw) < 0.5
        return tf.where(flip, mirrored, features), label

    return without_autotune(tf.data.Dataset.zip(samples, draws).map(prepare)
                            .batch(batch).prefetch(tf.data.AUTOTUNE))


def frames_of(clips: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, T, ...) clips and their N labels -> N*T frames, each with its clip's label."""
    return clips.reshape((-1, *clips.shape[2:])), np.repeat(labels, clips.shape[1])


def fixed_batches(*arrays: np.ndarray, batch: int) -> tf.data.Dataset:
    """The arrays, in order, as batches of `batch` for validation and prediction, without
    autotuning (`without_autotune`): Keras would wrap arrays in an autotuned dataset, and the
    fine-tuning loops delete one after every epoch's validation pass."""
    return without_autotune(tf.data.Dataset.from_tensor_slices(arrays).batch(batch))


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` with tf.data's autotuning off (AUTOTUNE then means a fixed default).

    Why: deleting an iterator waits for its autotuning thread to wake from a sleep that grows
    with the iterator's age, and an epoch ends by deleting one. Measured on TensorFlow 2.21 with
    the demo's batches: up to 8 s after a 33 s pass (none without autotuning, at the same speed),
    and 33-41 s at two of the demo's seven training epochs.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def augment(frames: tf.Tensor, seed: tf.Tensor, augmentation: Augmentation) -> tf.Tensor:
    """One random flip + rotation + crop applied identically to every frame of (T, H, W, C)
    (or to a single (H, W, C) frame). `seed`: a shape-(2,) integer tensor. Without rotation and
    crop there is no resampling: an identity warp would cost a bilinear pass per clip."""
    single = frames.shape.rank == 3
    batch = frames[tf.newaxis] if single else frames
    flip_seed, angle_seed, crop_seed, shift_seed = tf.unstack(
        tf.random.experimental.stateless_split(seed, 4))
    if augmentation.flip:
        mirrored = tf.random.stateless_uniform([], flip_seed) < 0.5
        batch = tf.cond(mirrored, lambda: tf.reverse(batch, axis=[2]), lambda: batch)
    limit = augmentation.max_rotation_deg * math.pi / 180.0
    if not limit and augmentation.min_crop >= 1.0:
        return batch[0] if single else batch
    angle = tf.random.stateless_uniform([], angle_seed, -limit, limit) if limit else 0.0
    crop = (tf.random.stateless_uniform([], crop_seed, augmentation.min_crop, 1.0)
            if augmentation.min_crop < 1.0 else 1.0)
    shift = tf.random.stateless_uniform([2], shift_seed, -1.0, 1.0)
    warped = _warp(batch, angle, crop, shift)
    return warped[0] if single else warped


def _warp(frames: tf.Tensor, angle, crop, shift: tf.Tensor) -> tf.Tensor:
    """Rotate by `angle` about the centre and show a `crop`-sized window moved by `shift`
    (in [-1, 1] of the room the crop leaves), resized back to the full frame."""
    height, width = frames.shape[1], frames.shape[2]
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    cos, sin = tf.cos(angle) * crop, tf.sin(angle) * crop
    room = (1.0 - crop) / 2.0
    offset_x = shift[0] * room * width
    offset_y = shift[1] * room * height
    # The op maps each OUTPUT pixel (x, y) to the INPUT point (a0 x + a1 y + a2, b0 x + b1 y + b2).
    transform = tf.stack([cos, -sin, centre_x - cos * centre_x + sin * centre_y + offset_x,
                          sin, cos, centre_y - sin * centre_x - cos * centre_y + offset_y,
                          0.0, 0.0])
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=frames, transforms=tf.cast(transform, tf.float32)[tf.newaxis],
        output_shape=[height, width], fill_value=0.0, interpolation="BILINEAR",
        fill_mode="REFLECT")
