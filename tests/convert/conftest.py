"""Shared host-side fixtures (session-scoped, tiny). Video helpers live in tiny_videos.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from tiny_videos import write_ucf_tree


@pytest.fixture(scope="session")
def tiny_ucf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 4 groups x 1 clip, 8 frames at 8 fps, 48 px, with classInd and split files."""
    return write_ucf_tree(tmp_path_factory.mktemp("tiny_ucf"))


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 4 groups x 2 clips without classInd or split files (a generated split)."""
    return write_ucf_tree(tmp_path_factory.mktemp("tiny_folder"), clips_per_group=2,
                          split_files=False)


# --- pruning, sparsity and QAT (helper F) ------------------------------------------------------
TINY_ZOO = {"mnv2-tcn": {"frames": 4, "size": 32, "alpha": 0.35},
            "mnv2-bilstm": {"frames": 4, "size": 32, "alpha": 0.35},
            "lrcn": {"frames": 4, "size": 32},
            "resnet34-frame": {"size": 32},
            "c3d-lite": {"frames": 4, "size": 16}, "r2plus1d-lite": {"frames": 4, "size": 16}}


@pytest.fixture(scope="session")
def tiny_tf_keras():
    """Factory: zoo architecture `name` (TINY_ZOO sizes, 3 classes, seeded) bridged to tf_keras,
    built once per session and shared: tests that change weights work on a copy."""
    import keras

    from har_convert.bridge.rebuild import Bridge
    from har_convert.train.zoo import build

    models = {}

    def get(name: str):
        if name not in models:
            keras.utils.set_random_seed(0)
            models[name] = Bridge().model(build(name, num_classes=3, **TINY_ZOO[name]))
        return models[name]

    return get


@pytest.fixture(scope="session")
def tiny_clips(tiny_folder: Path):
    """tiny_folder loaded as 4-frame 32-px clips (3 classes), for fine-tuning and QAT steps."""
    from har_convert.data import load_dataset

    return load_dataset(tiny_folder, frames=4, size=32, progress=False)


@pytest.fixture(scope="session")
def tiny_clip_net():
    """A small zoo-shaped clip model built directly in tf_keras (fast to trace): a nested frame
    network in a TimeDistributed named frame_features (Conv2D-BN-ReLU, depthwise-BN-ReLU, 1x1
    Conv2D-BN, global pooling), a causal Conv1D head and a softmax over 3 classes; 4 x 32 x 32."""
    import tf_keras
    from tf_keras import layers

    tf_keras.utils.set_random_seed(0)
    frame = tf_keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 3, strides=2, use_bias=False, name="stem")(frame)
    x = layers.ReLU(6.0)(layers.BatchNormalization(name="stem_bn")(x))
    x = layers.DepthwiseConv2D(3, use_bias=False, name="depthwise")(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization(name="depthwise_bn")(x))
    x = layers.BatchNormalization(name="project_bn")(
        layers.Conv2D(16, 1, use_bias=False, name="project")(x))
    frame_net = tf_keras.Model(frame, layers.GlobalAveragePooling2D()(x), name="frame_net")
    clip = tf_keras.Input((4, 32, 32, 3))
    x = layers.TimeDistributed(frame_net, name="frame_features")(clip)
    x = layers.Conv1D(8, 2, padding="causal", activation="relu", name="temporal")(x)
    x = layers.GlobalAveragePooling1D()(x)
    return tf_keras.Model(clip, layers.Dense(3, activation="softmax", name="predictions")(x))
