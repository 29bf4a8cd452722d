"""What the user asks of `har-train` and `har-convert`: settings, defaults and the names options
accept, without TensorFlow.

The command lines build their options and check every value from this module before the slow
import of TensorFlow, so a bad option is refused in about a second; the stages that do the work
read the same dataclasses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from har_device.core.errors import BadInput

KEYPOINT_ARCHITECTURES = ("kp-tcn", "kp-gru")  # heads over keypoint sequences, not videos
ARCHITECTURE_NAMES = ("lrcn", "convlstm", "mnv2-bilstm", "mnv2-tcn", "effnetlite-tcn",
                      "resnet34-frame", "resnet50-frame", "cnn-lstm-attention",
                      *KEYPOINT_ARCHITECTURES, "c3d-lite", "r2plus1d-lite")
# The architectures built around a pretrainable backbone, and the backbone's name; keras.applications
# ships ImageNet weights for two of them (EfficientNet-Lite and this ResNet-34 have none there).
BACKBONES = {"mnv2-bilstm": "MobileNetV2", "mnv2-tcn": "MobileNetV2",
             "effnetlite-tcn": "EfficientNet-Lite0", "resnet34-frame": "ResNet-34",
             "resnet50-frame": "ResNet50"}
IMAGENET_BACKBONES = ("MobileNetV2", "ResNet50")
WEIGHT_SUFFIXES = (".weights.h5", ".keras")
CRITERIA = ("l1", "l2", "bn")
DEFAULT_FINETUNE_EPOCHS = 10
FINETUNE_LR = 3e-4
DEFAULT_QAT_EPOCHS = 3
DEFAULT_CALIB_SAMPLES = 32
WARN_DROP_POINTS = 2.0


def check_architecture(name: str) -> str:
    """`name` when the zoo has it, else BadInput listing the known names."""
    if name not in ARCHITECTURE_NAMES:
        raise BadInput(f"--arch: unknown architecture {name!r}; "
                       f"expected one of {', '.join(ARCHITECTURE_NAMES)}")
    return name


def check_weights(value: str, arch: str) -> str | Path | None:
    """--weights: None for "none", "imagenet", or the Path of a backbone weights file; BadInput
    when the architecture has no such backbone or the file cannot be one."""
    if value == "none":
        return None
    if arch not in BACKBONES:
        raise BadInput(f"--weights {value}: {arch} has no pretrained backbone (it is trained from "
                       f"scratch); backbones: {', '.join(BACKBONES)}")
    backbone = BACKBONES[arch]
    if value == "imagenet":
        if backbone not in IMAGENET_BACKBONES:
            raise BadInput(f"--weights imagenet: keras.applications has no ImageNet weights for "
                           f"{backbone} ({arch}); give --weights PATH, a .weights.h5 or .keras "
                           f"file of the {backbone} backbone")
        return value
    path = Path(value)
    if not path.name.endswith(WEIGHT_SUFFIXES):
        raise BadInput(f"--weights {value}: expected imagenet, none, or a "
                       f"{' or '.join(WEIGHT_SUFFIXES)} file of the {backbone} backbone")
    if not path.is_file():
        raise BadInput(f"--weights {value}: no such file")
    return path


@dataclass(frozen=True)
class Transfer:
    """The transfer-learning schedule (Keras' guide, and the papers'): with `freeze_backbone`,
    phase one trains the head only, the backbone frozen and its BatchNorms in inference mode;
    `unfreeze_top` N > 0 adds phase two, the top N blocks of the backbone (not their BatchNorms)
    trained with the head for `finetune_epochs` at `finetune_lr`."""

    freeze_backbone: bool = False
    unfreeze_top: int = 0
    finetune_lr: float = 1e-4
    finetune_epochs: int = 5

    @property
    def phased(self) -> bool:
        return self.freeze_backbone or self.unfreeze_top > 0


@dataclass(frozen=True)
class Augmentation:
    """flip: mirror left-right with p=0.5; max_rotation_deg: uniform in +-this;
    min_crop: the crop's side is uniform in [min_crop, 1] of the frame's (1.0: no crop)."""

    flip: bool = True
    max_rotation_deg: float = 10.0
    min_crop: float = 0.8


NO_AUGMENTATION = Augmentation(flip=False, max_rotation_deg=0.0, min_crop=1.0)


@dataclass(frozen=True)
class TrainConfig:
    arch: str
    frames: int
    size: int | None  # None: a keypoint model
    alpha: float | None
    dropout: float | None = None
    epochs: int = 40
    batch: int = 8
    learning_rate: float = 1e-3
    final_lr_fraction: float = 1.0
    seed: int = 0
    patience: int = 8
    val_fraction: float = 0.2
    augmentation: Augmentation = field(default_factory=Augmentation)
    weights: str | Path | None = None  # None: from scratch; "imagenet"; a backbone weights file
    transfer: Transfer = field(default_factory=Transfer)


@dataclass(frozen=True)
class SparsitySpec:
    """Either m_by_n (zeros, block) or a ratio of zeros."""

    m_by_n: tuple[int, int] | None = None
    ratio: float | None = None

    def __str__(self) -> str:
        return f"{self.m_by_n[0]}:{self.m_by_n[1]}" if self.m_by_n else f"{self.ratio:g}"


def parse_sparsity(text: str) -> SparsitySpec:
    """"2:4" -> M-by-N, "0.5" -> a ratio; anything else is a BadInput naming --sparsity."""
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if match:
        zeros, block = int(match[1]), int(match[2])
        if 0 < zeros < block:
            return SparsitySpec(m_by_n=(zeros, block))
    else:
        try:
            ratio = float(text)
        except ValueError:
            ratio = -1.0
        if 0 < ratio < 1:
            return SparsitySpec(ratio=ratio)
    raise BadInput(f"--sparsity: expected M:N with 0 < M < N (e.g. 2:4) or a ratio of zeros in "
                   f"(0, 1), got {text!r}")


@dataclass(frozen=True)
class OptimizeSettings:
    """qat_epochs None: DEFAULT_QAT_EPOCHS when there is data; 0: no QAT. prune (a uniform
    share of channels) and target_latency (a share of the unpruned int8 latency, the channels
    allocated by measurement) exclude each other. finetune_lr None: the rate the model was
    trained at, else FINETUNE_LR; seed and augmentation: the model's training's (har-convert
    fills them from model.train.json)."""

    prune: float | None = None
    target_latency: float | None = None
    round_to: int = 8
    importance: str = "l1"
    exclude: tuple[str, ...] = ()
    finetune_epochs: int = DEFAULT_FINETUNE_EPOCHS
    finetune_lr: float | None = None
    distill: bool = True
    sparsity: str | None = None
    qat_epochs: int | None = None
    seed: int = 0
    augmentation: Augmentation = field(default_factory=Augmentation)

    def wanted(self) -> bool:
        """Whether any stage would run, given data."""
        return bool(self.pruning or self.sparsity or self.qat_epochs is None or self.qat_epochs)

    @property
    def pruning(self) -> bool:
        return bool(self.prune or self.target_latency)

    def explicit_requests(self) -> list[str]:
        asked = [("--prune", self.prune), ("--target-latency", self.target_latency),
                 ("--sparsity", self.sparsity),
                 ("--qat-epochs", self.qat_epochs)]
        return [option for option, value in asked if value]


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
    ship_float: bool = True
    threads: int | None = None
    optimize: OptimizeSettings = field(default_factory=OptimizeSettings)
