"""`har-convert MODEL`: a Keras model -> a verified bundle of float and full-int8 TFLite models.

The pipeline itself is `har_convert.pipeline.run` (prepare -> bridge -> optimize -> convert ->
bundle -> verify); this module is its command line: options, the final summary table and the exit
code. Every input TensorFlow is not needed for is checked first (har_convert.source.preflight),
and the pipeline, which imports TensorFlow, only then: bad input is refused in about a second.
What the conversion had to assume (labels, frame rate, calibration) is one warning each, followed
by one line listing the options that would make the bundle better. The optimisation options
(--prune, --sparsity, QAT) train on the --data clips; without them they are skipped and the
report says so in one line.
`--max-drop X` fails the command (exit 1) when an int8 stage loses more than X accuracy points
against the float model; the bundle and its report are still written, since the conversion itself
succeeded and the report is what the user needs to decide what to do next.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

import har_convert
from har_convert.cli.startup import import_tensorflow
from har_convert.quantize.calibration import DEFAULT_FOLDER, RANDOM_SOURCE
from har_convert.settings import (
    CRITERIA,
    DEFAULT_CALIB_SAMPLES,
    DEFAULT_FINETUNE_EPOCHS,
    DEFAULT_QAT_EPOCHS,
    FINETUNE_LR,
    WARN_DROP_POINTS,
    OptimizeSettings,
    Options,
    parse_sparsity,
)
from har_convert.source.facts import ASSUMED_LABELS
from har_convert.source.preflight import output_dir, preflight
from har_device.cli.entry import common_options, run_cli
from har_device.core.errors import BadInput, WorkFailed

PathOption = click.Path(path_type=Path)


def optimization_options(command: Callable) -> Callable:
    """Pruning, sparsity and QAT (har_convert.optimize); they train, so they need --data."""
    options = [
        click.option("--prune", type=click.FloatRange(0, 1, max_open=True),
                     help="Remove this share of the channels of every prunable group "
                          "(structured pruning: a smaller, faster model), e.g. 0.5."),
        click.option("--target-latency", type=float,
                     help="Instead of --prune: prune until the int8 model's latency, measured "
                          "per operator and layer on this machine, is predicted at this share "
                          "of the unpruned int8 model's, each group's channels chosen by time "
                          "saved against importance lost, e.g. 0.5."),
        click.option("--round-to", default=8, show_default=True, type=click.IntRange(min=1),
                     help="Keep channel counts at multiples of this."),
        click.option("--importance", type=click.Choice(CRITERIA), default="l1",
                     show_default=True,
                     help="Channel importance: L1/L2 norm of its filters, or BatchNorm |gamma|."),
        click.option("--exclude", multiple=True,
                     help="Layer names or shell patterns (comma-separated, repeatable) whose "
                          "channels are kept; the classifier's always are."),
        click.option("--finetune-epochs", default=DEFAULT_FINETUNE_EPOCHS, show_default=True,
                     type=click.IntRange(min=1),
                     help="Fine-tuning epochs after pruning, and for --sparsity."),
        click.option("--finetune-lr", type=click.FloatRange(min=0, min_open=True),
                     help="Fine-tuning learning rate [the rate of the model's training, from "
                          f"model.train.json; else {FINETUNE_LR:g}]."),
        click.option("--distill/--no-distill", default=True, show_default=True,
                     help="Distil the fine-tuning from the model before pruning."),
        click.option("--sparsity",
                     help="tfmot weight sparsity, learned while fine-tuning and stripped: M:N "
                          "(e.g. 2:4) or a ratio of zeros (e.g. 0.5)."),
        click.option("--qat-epochs", type=click.IntRange(min=0),
                     help=f"Quantization-aware training epochs [{DEFAULT_QAT_EPOCHS} when --data "
                          "is given]."),
        click.option("--no-qat", is_flag=True,
                     help="Post-training int8 only (the same as --qat-epochs 0)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def optimize_settings(prune: float | None, target_latency: float | None, round_to: int,
                      importance: str,
                      exclude: tuple[str, ...], finetune_epochs: int,
                      finetune_lr: float | None, distill: bool,
                      sparsity: str | None, qat_epochs: int | None,
                      no_qat: bool) -> OptimizeSettings:
    if prune and target_latency is not None:
        raise BadInput("--prune and --target-latency exclude each other: a uniform share of "
                       "channels, or a latency target the shares are chosen for")
    if target_latency is not None and not 0 < target_latency < 1:
        raise BadInput(f"--target-latency: expected a share of the unpruned int8 latency in "
                       f"(0, 1), got {target_latency:g}")
    if no_qat and qat_epochs:
        raise BadInput(f"--no-qat and --qat-epochs {qat_epochs} contradict each other")
    if sparsity is not None:
        parse_sparsity(sparsity)
    patterns = tuple(p.strip() for text in exclude for p in text.split(",") if p.strip())
    return OptimizeSettings(prune=prune or None, target_latency=target_latency,
                            round_to=round_to, importance=importance,
                            exclude=patterns, finetune_epochs=finetune_epochs,
                            finetune_lr=finetune_lr, distill=distill,
                            sparsity=sparsity, qat_epochs=0 if no_qat else qat_epochs)


@click.command(help="Convert a Keras HAR model (Keras 3 or tf_keras) into a bundle of float and "
                    "full-int8 TFLite models, verified on held-out clips. Exit 0 done, 1 failed "
                    "(or --max-drop exceeded; the bundle is still written), 2 bad input.")
@click.argument("model", type=PathOption)
@click.option("--data", type=PathOption,
              help="UCF-style folder the model was trained on: its test split evaluates every "
                   "stage, its train split calibrates int8 unless --calib is given.")
@click.option("--eval", "eval_dir", type=PathOption,
              help="Evaluate on all clips of this folder instead of the --data test split.")
@click.option("--calib", type=PathOption,
              help="Calibration clips (a UCF-style folder, or a .npy array (N, T, H, W, 3)); "
                   "for a keypoint model a folder of keypoint sequences [the --data train "
                   "split, else calibration_data/ for pixel models].")
@click.option("--calib-samples", default=DEFAULT_CALIB_SAMPLES, show_default=True,
              type=click.IntRange(min=1), help="How many calibration clips to use.")
@click.option("--out", type=PathOption, help="Bundle folder [<model stem>_bundle beside the model].")
@click.option("--frames", type=click.IntRange(min=1),
              help="T, when the model leaves it open (for frame models: frames per clip).")
@click.option("--labels", type=PathOption,
              help="Label file, one per line [<model stem>.labels.txt, else --data's folders].")
@click.option("--sample-fps", type=click.FloatRange(min=0, min_open=True),
              help="Frame rate the model was trained at [<model stem>.train.json].")
@click.option("--unsafe", is_flag=True,
              help="Load Keras 3 files with serialized code (Lambda layers). Trusted files only.")
@click.option("--max-drop", type=click.FloatRange(min=0),
              help="Exit 1 when an int8 stage loses more than this many accuracy points "
                   f"(a drop over {WARN_DROP_POINTS:g} is always a warning).")
@click.option("--no-streaming", is_flag=True, help="Do not split off frame and head models.")
@click.option("--no-float", is_flag=True,
              help="Leave model_float.tflite out of the bundle (it is still converted and "
                   "evaluated as the reference of the int8 accuracy drop).")
@click.option("--threads", type=click.IntRange(min=1),
              help="Interpreter threads for evaluation and latency [LiteRT's default].")
@optimization_options
@common_options(har_convert.__version__)
def command(model: Path, data: Path | None, eval_dir: Path | None, calib: Path | None,
            calib_samples: int, out: Path | None, frames: int | None, labels: Path | None,
            sample_fps: float | None, unsafe: bool, max_drop: float | None, no_streaming: bool,
            no_float: bool, threads: int | None, **optimization: Any) -> None:
    options = Options(model=model, data=data, eval_dir=eval_dir, calib=calib,
                      calib_samples=calib_samples, out=out, frames=frames, labels=labels,
                      sample_fps=sample_fps, unsafe=unsafe, streaming=not no_streaming,
                      ship_float=not no_float, threads=threads,
                      optimize=optimize_settings(**optimization))
    preflight(options)
    report = convert(options)
    for warning in report["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    better = improvements(report)
    if better:
        click.echo(f"to make the bundle better, pass {'; '.join(better)}", err=True)
    click.echo(f"bundle: {output_dir(model, out)} (mode {report['mode']})")
    drops = report["accuracy_drop_points"]
    worst = max(drops, key=drops.get, default=None)
    if max_drop is not None and worst is not None and drops[worst] > max_drop:
        raise WorkFailed(f"{worst} lost {drops[worst]:.1f} accuracy points (more than "
                         f"--max-drop {max_drop:g}); the bundle and report were written")


def convert(options: Options) -> dict[str, Any]:
    """The pipeline, imported only now that every input has been checked: it loads TensorFlow.
    Prints the summary table; returns the report."""
    import_tensorflow()
    from har_convert.pipeline import run
    from har_convert.verify.report import summary_table

    report = run(options)
    click.echo(summary_table(report))
    return report


def improvements(report: dict[str, Any]) -> list[str]:
    """What the user could add for a better bundle, from what the conversion had to do without."""
    better = []
    if report["labels_source"] == ASSUMED_LABELS:
        better.append("--labels FILE (class names for the events)")
    if report["sample_fps"] is None:
        better.append("--sample-fps R (the training frame rate, which the agent samples at)")
    if not report["evaluation"]["clips"]:
        better.append("--data DIR (accuracy measured on held-out clips, quantization-aware "
                      "training, calibration on the training footage)")
    elif report["calibration"]["source"] in (DEFAULT_FOLDER, RANDOM_SOURCE):
        better.append("--calib DIR (int8 ranges from footage like your camera's)")
    return better


main = run_cli(command, "har-convert")
