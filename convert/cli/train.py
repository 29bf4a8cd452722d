"""`har-train`: build a zoo architecture, train it on a UCF-style folder, write the model and its report.

    har-train --arch mnv2-tcn --data data/ --frames 16 --size 96 --alpha 0.35 --out model.keras
    har-train --arch kp-tcn --data skeletons/ --out head.keras     # keypoint sequences (.npz)

A folder of keypoint sequences (`har-synth skeletons`, or the pose stage over videos) trains the
keypoint heads (kp-tcn, kp-gru) on windows normalised as the device will normalise them.

Writes beside `model.keras`: `model.labels.txt` (the class order, read by har-convert),
`model.train.json` (how it was trained, including the input mapping and `sample_fps` the agent
must use), `model.report.json` / `model.report.md` (test-split metrics) and
`model.confusion.png`. Every file is written atomically and `model.keras` last, so a model on
disk always has its labels and report. The options, the data folder and the output path are
checked before TensorFlow is imported (seconds), so `--help` and bad input answer at once.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from tabulate import tabulate

import har_convert
from har_convert.cli.startup import import_tensorflow
from har_convert.data import ClipIndex, common_fps, index_folder, load_dataset
from har_convert.settings import (
    ARCHITECTURE_NAMES,
    BACKBONES,
    KEYPOINT_ARCHITECTURES,
    NO_AUGMENTATION,
    Augmentation,
    TrainConfig,
    Transfer,
    check_architecture,
    check_weights,
)
from har_convert.train.metrics import (
    format_per_class_table,
    format_summary_table,
    not_learned,
    plot_confusion,
)
from har_device.cli.entry import common_options, run_cli
from har_device.core.atomic import atomic_path, write_text_atomic
from har_device.core.bundle import KeypointInput
from har_device.core.errors import BadInput

if TYPE_CHECKING:
    from har_convert.train.fit import TrainResult
    from har_convert.train.zoo import ArchSpec

OUTPUT_SUFFIXES = (".labels.txt", ".train.json", ".report.json", ".report.md", ".confusion.png")


def sibling(out: Path, suffix: str) -> Path:
    """`model.keras` + ".labels.txt" -> `model.labels.txt`."""
    return out.with_name(out.stem + suffix)


@click.command()
@click.option("--arch", required=True, help="Architecture from the zoo, e.g. mnv2-tcn.")
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path),
              help="UCF-style folder: <class>/<clip>.mp4 (or keypoint sequences "
                   "<class>/<clip>.npz), optional classInd/trainlist/testlist.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Where to write the model; must end in .keras.")
@click.option("--frames", type=click.IntRange(min=1), help="Frames per clip T [architecture default].")
@click.option("--size", type=click.IntRange(min=1), help="Input height and width S [architecture default].")
@click.option("--alpha", type=float, help="Width multiplier (MobileNetV2 models).")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True),
              help="Dropout rate of every Dropout layer [the architecture's default]. Lower it "
                   "when the model underfits (plentiful synthetic data), raise it when it overfits.")
@click.option("--epochs", default=TrainConfig.epochs, show_default=True,
              type=click.IntRange(min=1), help="Upper bound; early stopping usually ends sooner.")
@click.option("--batch", default=TrainConfig.batch, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=TrainConfig.learning_rate, show_default=True,
              type=click.FloatRange(min=0, min_open=True), help="Initial Adam learning rate.")
@click.option("--lr-final", default=TrainConfig.final_lr_fraction, show_default=True,
              type=click.FloatRange(0, 1, min_open=True),
              help="Decay the learning rate along a half cosine to this share of --lr by the last "
                   "epoch (1: no decay; reductions on plateau still apply).")
@click.option("--patience", default=TrainConfig.patience, show_default=True,
              type=click.IntRange(min=1), help="Epochs without validation improvement before stopping.")
@click.option("--sample-fps", type=click.FloatRange(min=0, min_open=True),
              help="Frame rate the T frames are taken at [the data's fps when all clips share one].")
@click.option("--split", default=1, show_default=True, type=click.IntRange(1, 3),
              help="Which trainlist0N/testlist0N pair to use when the folder has split files.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--weights", default="none", show_default=True,
              help="The backbone's starting weights: none (random), imagenet (keras.applications"
                   "', downloaded into the Keras cache once; MobileNetV2 and ResNet50 models), or"
                   " a .weights.h5 / .keras file of the backbone, for input x = pixel/255.")
@click.option("--freeze-backbone", is_flag=True,
              help="Phase one: train the head alone, the backbone frozen (BatchNorm in inference "
                   "mode), for --epochs.")
@click.option("--unfreeze-top", default=Transfer.unfreeze_top, show_default=True,
              type=click.IntRange(min=0),
              help="Phase two (after phase one): also train the backbone's top N blocks "
                   "(BatchNorm stays frozen) at --finetune-lr for --finetune-epochs.")
@click.option("--finetune-lr", default=Transfer.finetune_lr, show_default=True,
              type=click.FloatRange(min=0, min_open=True), help="Learning rate of phase two.")
@click.option("--finetune-epochs", default=Transfer.finetune_epochs, show_default=True,
              type=click.IntRange(min=1), help="Epochs of phase two.")
@click.option("--no-augment", is_flag=True,
              help="Train without flip/rotation/crop augmentation (keypoints: without mirroring).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@common_options(har_convert.__version__)
def cli(arch: str, data_dir: Path, out: Path, frames: int | None, size: int | None,
        alpha: float | None, dropout: float | None, epochs: int, batch: int, lr: float,
        lr_final: float, patience: int, sample_fps: float | None, split: int, seed: int,
        weights: str, freeze_backbone: bool, unfreeze_top: int, finetune_lr: float,
        finetune_epochs: int, no_augment: bool, quiet: bool) -> None:
    """Train a reference HAR architecture and write model.keras with its labels and report."""
    _check_out(out)
    check_architecture(arch)
    starting_weights = check_weights(weights, arch)
    transfer = Transfer(freeze_backbone=freeze_backbone or unfreeze_top > 0,
                        unfreeze_top=unfreeze_top, finetune_lr=finetune_lr,
                        finetune_epochs=finetune_epochs)
    _check_transfer(arch, transfer)
    index = index_folder(data_dir, split=split, seed=seed)
    _check_kind(arch, index)
    sample_fps = sample_fps or _data_fps(index)
    import_tensorflow()
    from har_convert.train.fit import build_model, train
    from har_convert.train.zoo import spec_for

    spec = spec_for(arch)
    frames = spec.default_frames if frames is None else frames
    size = spec.default_size if size is None else size
    alpha = spec.default_alpha if alpha is None else alpha
    config = TrainConfig(arch=arch, frames=frames, size=size, alpha=alpha, dropout=dropout,
                         epochs=epochs, batch=batch, learning_rate=lr,
                         final_lr_fraction=lr_final, seed=seed, patience=patience,
                         augmentation=NO_AUGMENTATION if no_augment else Augmentation(),
                         weights=starting_weights, transfer=transfer)
    model = build_model(config, len(index.labels))
    data = load_dataset(data_dir, frames, size, sample_fps=sample_fps, split=split, seed=seed,
                        progress=not quiet)
    click.echo(f"{arch}: {len(data.labels)} classes, {len(data.train)} train / {len(data.test)}"
               f" test clips ({data.split_source}), T={frames} at {sample_fps:g} fps, "
               f"{'keypoints' if size is None else f'{size} px'}", err=True)
    result = train(model, config, data, progress=not quiet)
    info = train_info(config, spec, data_dir, sample_fps, data.labels, data.split_source, result)
    write_outputs(out, result, info)
    click.echo(summary_table(info, result.report, out))
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}", err=True)


def _check_out(out: Path) -> None:
    if out.suffix != ".keras":
        raise BadInput(f"--out {out}: expected a file name ending in .keras")
    if not out.parent.resolve().is_dir():
        raise BadInput(f"--out {out}: folder {out.parent} does not exist")


def _check_kind(arch: str, index: ClipIndex) -> None:
    """Keypoint heads train on keypoint sequences, every other architecture on videos."""
    sequences = index.kind == "keypoints"
    if (arch in KEYPOINT_ARCHITECTURES) != sequences:
        held = "keypoint sequences (.npz)" if sequences else "videos"
        fits = ", ".join(name for name in ARCHITECTURE_NAMES
                         if (name in KEYPOINT_ARCHITECTURES) == sequences)
        raise BadInput(f"--data {index.root}: holds {held}, which --arch {arch} does not "
                       f"read; architectures for them: {fits}")


def _check_transfer(arch: str, transfer: Transfer) -> None:
    if transfer.phased and arch not in BACKBONES:
        raise BadInput(f"--freeze-backbone/--unfreeze-top: {arch} has no pretrained backbone to "
                       f"freeze; backbones: {', '.join(BACKBONES)}")


def _data_fps(index: ClipIndex) -> float:
    fps = common_fps(index.clips)
    if fps is None:
        raise BadInput(f"--data {index.root}: the clips do not share one frame rate; pass "
                       "--sample-fps (the rate the agent will sample the camera at)")
    return fps


def train_info(config: TrainConfig, spec: ArchSpec, data_dir: Path, sample_fps: float,
               labels: list[str], split_source: str, result: TrainResult) -> dict[str, Any]:
    """model.train.json: everything needed to feed the model as it was trained."""
    return {
        "arch": config.arch, "kind": spec.kind, "frames": config.frames, "size": config.size,
        "alpha": config.alpha, "dropout": config.dropout, "sample_fps": sample_fps, "labels": labels,
        **({"keypoints": KeypointInput().model_dump()} if spec.kind == "keypoints" else
           {"input": {"height": config.size, "width": config.size, "channels": 3,
                      "colour": "RGB", "scale": 1 / 255, "offset": 0.0}}),
        "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
        "seconds": round(result.seconds, 1), "params": int(result.model.count_params()),
        "seed": config.seed, "data": data_dir.resolve().name, "split": split_source,
        "validation": result.validation, "batch": config.batch,
        "learning_rate": config.learning_rate, "final_lr_fraction": config.final_lr_fraction,
        "augmentation": asdict(config.augmentation),
        "weights": weights_name(config.weights), "schedule": result.schedule,
        "test_accuracy": result.report["accuracy"], "test_f1_macro": result.report["f1_macro"],
        "warnings": [warning for warning in [not_learned(result.report)] if warning],
        "history": result.history,
    }


def weights_name(weights: str | Path | None) -> str:
    """How the backbone started, for the reports: none, imagenet, or the file's name."""
    return "none" if weights is None else weights if isinstance(weights, str) else weights.name


def write_outputs(out: Path, result: TrainResult, info: dict[str, Any]) -> None:
    labels = info["labels"]
    write_text_atomic(sibling(out, ".labels.txt"), "".join(f"{label}\n" for label in labels))
    write_text_atomic(sibling(out, ".train.json"), json.dumps(info, indent=2) + "\n")
    report = {"arch": info["arch"], "labels": labels, "split": info["split"], **result.report}
    write_text_atomic(sibling(out, ".report.json"), json.dumps(report, indent=2) + "\n")
    plot_confusion(result.report["confusion"], labels, sibling(out, ".confusion.png"),
                   f"{info['arch']}: test split ({result.report['n']} clips)")
    write_text_atomic(sibling(out, ".report.md"), report_markdown(out, result.report, info))
    with atomic_path(out, suffix=".keras") as tmp:
        result.model.save(tmp)


def report_markdown(out: Path, report: dict[str, Any], info: dict[str, Any]) -> str:
    width = "" if info["alpha"] is None else f"alpha {info['alpha']:g}, "
    phases = "; ".join(f"{phase['trains']}, {phase['epochs']} epochs at lr "
                       f"{phase['learning_rate']:g}" for phase in info["schedule"]["phases"])
    warnings = "".join(f"\n## Warning\n\n{warning}\n" for warning in info["warnings"])
    return (f"# {out.name}: {info['arch']} on the test split\n\n"
            f"{format_summary_table(report)}\n\n## Per class\n\n{format_per_class_table(report)}\n\n"
            f"![confusion matrix]({sibling(out, '.confusion.png').name})\n\n## Training\n\n"
            f"- data: `{info['data']}` ({info['split']}); validation: {info['validation']}\n"
            f"- T={info['frames']} frames at {info['sample_fps']:g} fps, "
            f"{'keypoints' if info['size'] is None else str(info['size']) + ' px'}, "
            f"{width}{info['params']:,} parameters\n"
            f"- {info['epochs_run']} epochs (best {info['best_epoch']}), {info['seconds']:.0f} s,"
            f" batch {info['batch']}, lr {info['learning_rate']:g}, seed {info['seed']}\n"
            f"- starting weights: {info['weights']}; phases: {phases}\n{warnings}")


def summary_table(info: dict[str, Any], report: dict[str, Any], out: Path) -> str:
    rows = [["architecture", f"{info['arch']} ({info['params']:,} parameters)"],
            ["trained", f"{info['epochs_run']} epochs, best {info['best_epoch']},"
                        f" {info['seconds']:.0f} s"],
            ["test accuracy", f"{report['accuracy']:.3f} ({report['n']} clips)"],
            ["macro F1", f"{report['f1_macro']:.3f}"]]
    if report["top5_accuracy"] is not None:
        rows.append(["top-5 accuracy", f"{report['top5_accuracy']:.3f}"])
    rows.append(["written", ", ".join([out.name] + [sibling(out, s).name
                                                    for s in OUTPUT_SUFFIXES])])
    return tabulate(rows, tablefmt="simple")


main = run_cli(cli, "har-train")

if __name__ == "__main__":
    main()
