"""The architecture registry and `build`, the one entry point the trainer and tests use.

Input convention for every pixel model: float32 RGB, channels last, x = pixel / 255 in [0, 1]. No
model contains a Rescaling/Normalization layer (QAT rejects them); backbones that were designed for
[-1, 1] or mean/std input simply learn with [0, 1] (BatchNorm after the first conv absorbs it).
Keypoint models (kind "keypoints") take (T, FEATURES) windows of normalised body keypoints
(har_device.core.keypoints), the normalisation done outside the model, the same on both sides.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Literal

import keras

from har_convert.settings import check_architecture
from har_convert.train.zoo.attention import build_cnn_lstm_attention
from har_convert.train.zoo.convlstm import build_convlstm
from har_convert.train.zoo.efficientnet_lite import build_effnetlite_tcn
from har_convert.train.zoo.keypoints import build_kp_gru, build_kp_tcn
from har_convert.train.zoo.lrcn import build_lrcn
from har_convert.train.zoo.mobilenet import build_mnv2_bilstm, build_mnv2_tcn
from har_convert.train.zoo.resnet import build_resnet34_frame, build_resnet50_frame
from har_convert.train.zoo.video3d import build_c3d_lite, build_r2plus1d_lite
from har_device.core.errors import BadInput


@dataclass(frozen=True)
class ArchSpec:
    """What the trainer, loader and converter need to know about an architecture.

    kind "clip": input (T, S, S, 3) -> softmax. kind "frame": input (S, S, 3) -> softmax, and a
    clip's prediction is the mean of its frames' predictions (`frame.clip_scores`); for those,
    default_frames is how many frames of a clip the loader samples and the evaluator averages.
    kind "keypoints": input (T, FEATURES) normalised keypoints -> softmax; no size (None).
    has_frame_features: the model starts with TimeDistributed(nested Model) named
    `frame_features`, so the converter can split it for streaming. min_size: the smallest S
    the layer stack accepts.
    """

    name: str
    builder: Callable[..., keras.Model]
    kind: Literal["clip", "frame", "keypoints"]
    paper: str
    default_frames: int
    default_size: int | None
    default_alpha: float | None
    min_size: int
    has_frame_features: bool


_LRCN_PAPER = ("Jeevakumari & Dey, Analysis on Deep Learning approaches in Video classification"
               " of HAR")
_LIGHT_PAPER = "Bankar et al., Lightweight Deep Learning Model for HAR in Videos"
_RESNET_PAPERS = ("Khandelwal & Singh, Seamless Action Recognition; "
                  "Thiruvarangam, Hybrid Deep Learning for HAR: a comparative study with ResNet"
                  " models")

_VIDEO_64 = {"kind": "clip", "default_frames": 20, "default_size": 64, "default_alpha": None}
_VIDEO_224 = {"kind": "clip", "default_frames": 16, "default_size": 224, "min_size": 32,
              "has_frame_features": True}
# 3D convolutions see space and time together: no per-frame network to stream. C3D's own input.
_VIDEO_3D = {"kind": "clip", "default_frames": 16, "default_size": 112, "default_alpha": None,
             "min_size": 16, "has_frame_features": False}
_FRAME_224 = {"kind": "frame", "default_frames": 16, "default_size": 224, "default_alpha": None,
              "min_size": 32, "has_frame_features": False, "paper": _RESNET_PAPERS}

_KEYPOINTS = {"kind": "keypoints", "default_frames": 16, "default_size": None,
              "default_alpha": None, "min_size": 0, "has_frame_features": False}

ARCHITECTURES: dict[str, ArchSpec] = {spec.name: spec for spec in (
    ArchSpec("lrcn", build_lrcn, paper=f"{_LRCN_PAPER}, Table 2", min_size=16,
             has_frame_features=True, **_VIDEO_64),
    ArchSpec("convlstm", build_convlstm, paper=f"{_LRCN_PAPER}, Table 1", min_size=32,
             has_frame_features=False, **_VIDEO_64),
    ArchSpec("mnv2-bilstm", build_mnv2_bilstm, paper=_LIGHT_PAPER, default_alpha=1.0,
             **_VIDEO_224),
    ArchSpec("mnv2-tcn", build_mnv2_tcn, paper=_LIGHT_PAPER, default_alpha=1.0, **_VIDEO_224),
    ArchSpec("effnetlite-tcn", build_effnetlite_tcn, default_alpha=None, **_VIDEO_224,
             paper=f"{_LIGHT_PAPER}; Tan & Le, EfficientNet, Table 1 (B0), Lite variant"),
    ArchSpec("resnet34-frame", build_resnet34_frame, **_FRAME_224),
    ArchSpec("resnet50-frame", build_resnet50_frame, **_FRAME_224),
    ArchSpec("cnn-lstm-attention", build_cnn_lstm_attention, min_size=16,
             has_frame_features=True, **_VIDEO_64,
             paper="Haindavi et al., HAR by Learning Spatio-Temporal Features with Deep Neural"
                   " Networks"),
    ArchSpec("kp-tcn", build_kp_tcn, paper="Bai et al. 2018 TCN over BlazePose keypoints",
             **_KEYPOINTS),
    ArchSpec("kp-gru", build_kp_gru, paper="Cho et al. 2014 GRU over BlazePose keypoints",
             **_KEYPOINTS),
    ArchSpec("c3d-lite", build_c3d_lite, **_VIDEO_3D,
             paper="Tran et al., Learning Spatiotemporal Features with 3D Convolutional Networks"
                   " (C3D), lite variant"),
    ArchSpec("r2plus1d-lite", build_r2plus1d_lite, **_VIDEO_3D,
             paper="Tran et al., A Closer Look at Spatiotemporal Convolutions for Action"
                   " Recognition (R(2+1)D), lite variant"),
)}


def build(name: str, *, num_classes: int, frames: int | None = None, size: int | None = None,
          alpha: float | None = None, **options: Any) -> keras.Model:
    """Build architecture `name` (untrained, weights=None) for `num_classes` classes.

    frames/size/alpha default to the spec's defaults; `options` are the builder's own keyword
    arguments (e.g. dropout, lstm_units, tcn_filters). Anything unusable raises BadInput.
    """
    spec = spec_for(name)
    size = spec.default_size if size is None else size
    frames = spec.default_frames if frames is None else frames
    kwargs: dict[str, Any] = {"num_classes": _check_int("number of classes", num_classes, 2)}
    if spec.kind == "keypoints" and size is not None:
        raise BadInput(f"--size: architecture {name!r} reads keypoints, not frames; leave it out")
    if spec.kind != "keypoints":
        kwargs["size"] = _check_int("--size", size, spec.min_size)
    _check_int("--frames", frames, 1)
    if spec.kind in ("clip", "keypoints"):
        kwargs["frames"] = frames
    if spec.default_alpha is not None:
        kwargs["alpha"] = _check_alpha(spec.default_alpha if alpha is None else alpha)
    elif alpha is not None:
        raise BadInput(f"--alpha: architecture {name!r} has no width multiplier; leave it out")
    _check_options(spec, options)
    return spec.builder(**kwargs, **options)


def spec_for(name: str) -> ArchSpec:
    """The registry entry for `name`, or BadInput listing the known names."""
    return ARCHITECTURES[check_architecture(name)]


def _check_int(field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadInput(f"{field}: expected an integer >= {minimum}, got {value!r}")
    return value


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 2:
        raise BadInput(f"--alpha: expected a width multiplier in (0, 2], got {alpha!r}")
    return float(alpha)


def _check_options(spec: ArchSpec, options: dict[str, Any]) -> None:
    fixed = {"num_classes", "frames", "size", "alpha", "features"}
    allowed = set(inspect.signature(spec.builder).parameters) - fixed
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise BadInput(f"architecture {spec.name!r} has no option {', '.join(unknown)}; "
                       f"its options are: {', '.join(sorted(allowed)) or 'none'}")
