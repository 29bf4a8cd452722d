"""`har-synth`: render synthetic action clips as a UCF101-style dataset, write keypoint sequences of
the same actions in the same layout, or render one scripted scene with its ground-truth timeline."""
from __future__ import annotations

import json
from pathlib import Path

import click
from tqdm import tqdm

import har_device
from har_device.cli.entry import common_options, run_cli
from har_device.core.atomic import write_text_atomic
from har_device.core.errors import BadInput
from har_device.core.video import write_video
from har_device.synth.actions import LABELS
from har_device.synth.camera import View
from har_device.synth.dataset import DEFAULT_CONTEXT, make_spec, write_dataset
from har_device.synth.script import format_script, parse_script, plan_script
from har_device.synth.skeleton import SKELETON_LABELS, write_skeletons

DEFAULT_SCRIPT = "walk:4,fall:2,idle:3,bend:2,sit:3"


def _common(command: click.Command) -> click.Command:
    for option in reversed([
        click.option("--fps", type=float, default=8.0, show_default=True, help="Frames per second."),
        click.option("--size", type=int, default=112, show_default=True, help="Square frame side, pixels."),
        click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes."),
    ]):
        command = option(command)
    return command


@click.group()
@common_options(har_device.__version__)
def cli() -> None:
    """Render synthetic people doing fall, walk, sit, bend, wave, idle: a UCF101-style dataset, or one
    scripted scene with its ground-truth timeline. Deterministic by --seed."""


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--clips-per-class", type=int, default=20, show_default=True, help="Clips of each class.")
@click.option("--frames", type=int, default=16, show_default=True, help="Frames per clip.")
@_common
@click.option("--classes", default=",".join(LABELS), show_default=True,
              help="Comma-separated classes, in classInd order.")
@click.option("--groups", type=int, default=None,
              help="People/rooms shared by all classes [default: clips-per-class/2, 2..25].")
@click.option("--context", type=float, default=DEFAULT_CONTEXT, show_default=True,
              help="Share of clips that open with the end of another action (walk, idle, wave, "
                   "bend), as windows over continuous video do.")
@click.option("--split/--no-split", default=True, show_default=True,
              help="Write trainlist01/testlist01 (a calibration set wants every clip: --no-split).")
@click.option("--force", is_flag=True, help="Replace DIRECTORY if it is not empty.")
def dataset(directory: Path, clips_per_class: int, frames: int, fps: float, size: int, seed: int,
            classes: str, groups: int | None, context: float, split: bool, force: bool) -> None:
    """UCF101-style DIRECTORY/<class>/v_<class>_gGG_cCC.mp4 with classInd/trainlist01/testlist01."""
    names = tuple(name.strip().lower() for name in classes.split(",") if name.strip())
    spec = make_spec(names, clips_per_class, frames, fps, size, seed, groups, context)
    count = write_dataset(directory, spec, force=force, split=split)
    held_out = f"groups 1-{spec.test_groups} in testlist01.txt" if split else "no split files"
    click.echo(f"{directory}: {count} clips, {len(spec.classes)} classes, {spec.groups} groups ({held_out})")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--clips-per-class", type=int, default=200, show_default=True,
              help="Sequences of each class.")
@click.option("--frames", type=int, default=16, show_default=True, help="Frames per sequence.")
@click.option("--fps", type=float, default=8.0, show_default=True, help="Frames per second.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option("--classes", default=",".join(SKELETON_LABELS), show_default=True,
              help="Comma-separated classes, in classInd order.")
@click.option("--groups", type=int, default=None,
              help="People shared by all classes [default: clips-per-class/2, 2..25].")
@click.option("--context", type=float, default=DEFAULT_CONTEXT, show_default=True,
              help="Share of standing-action sequences that open with the end of another action.")
@click.option("--split/--no-split", default=True, show_default=True,
              help="Write trainlist01/testlist01 (a calibration set wants every sequence).")
@click.option("--add", "add", multiple=True, type=click.Path(path_type=Path, exists=True,
                                                              file_okay=False),
              help="A folder of sequences the pose stage reported (har-pose extract) to add, "
                   "split by their groups like the synthetic ones (repeatable).")
@click.option("--force", is_flag=True, help="Replace DIRECTORY if it is not empty.")
def skeletons(directory: Path, clips_per_class: int, frames: int, fps: float, seed: int,
              classes: str, groups: int | None, context: float, split: bool, add: tuple[Path, ...],
              force: bool) -> None:
    """Keypoint sequences (BlazePose's 33 points, as the pose stage reports them) of the actions
    plus lying and getting_up, seen by random cameras: DIRECTORY/<class>/v_<class>_gGG_cCC.npz
    with classInd/trainlist01/testlist01, the clips' layout and group split; with --add, the
    stage's own readings of real or rendered video beside them."""
    names = tuple(name.strip().lower() for name in classes.split(",") if name.strip())
    spec = make_spec(names, clips_per_class, frames, fps, None, seed, groups, context,
                     known=SKELETON_LABELS)
    count = write_skeletons(directory, spec, force=force, split=split, add=add)
    held_out = f"groups 1-{spec.test_groups} in testlist01.txt" if split else "no split files"
    click.echo(f"{directory}: {count} sequences, {len(spec.classes)} classes, {spec.groups} groups "
               f"({held_out})")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--script", "script_text", default=DEFAULT_SCRIPT, show_default=True,
              help="label:seconds,... with labels from " + ", ".join(LABELS) + ".")
@_common
@click.option("--camera-height", type=float, default=None,
              help="Film from a camera this many metres above the floor (person 1.7 m, 3.5 m away) "
                   "[default: straight on, no perspective].")
@click.option("--camera-tilt", type=float, default=0.0, show_default=True,
              help="With --camera-height: degrees the camera looks down.")
def video(out: Path, script_text: str, fps: float, size: int, seed: int, camera_height: float | None,
          camera_tilt: float) -> None:
    """One continuous scene as OUT.mp4 plus its timeline OUT.json."""
    if out.suffix.lower() != ".mp4":
        raise BadInput(f"{out}: expected an output name ending in .mp4")
    if seed < 0:
        raise BadInput(f"seed: expected a non-negative integer, got {seed}")
    segments = parse_script(script_text)
    scene, events = plan_script(segments, fps, size, seed, _view(camera_height, camera_tilt))
    frames = tqdm(scene.iter_frames(), total=scene.frames, desc="rendering", unit="frame")
    write_video(out, frames, fps)
    meta = {"fps": fps, "size": size, "seed": seed, "script": format_script(segments),
            "frames": scene.frames, "timeline": events}
    if camera_height is not None:
        meta["camera"] = {"height_m": camera_height, "tilt_deg": camera_tilt}
    timeline_path = out.with_suffix(".json")
    write_text_atomic(timeline_path, json.dumps(meta, indent=2) + "\n")
    click.echo(f"{out}: {scene.frames} frames, {events[-1]['end_s']:g} s; timeline in {timeline_path}")


def _view(height_m: float | None, tilt_deg: float) -> View | None:
    if height_m is None:
        if tilt_deg:
            raise BadInput("--camera-tilt: needs --camera-height")
        return None
    if not 0 < height_m <= 6:
        raise BadInput(f"--camera-height: expected metres in (0, 6], got {height_m:g}")
    if not -45 <= tilt_deg <= 80:
        raise BadInput(f"--camera-tilt: expected degrees in [-45, 80], got {tilt_deg:g}")
    return View(height_m, tilt_deg)


main = run_cli(cli, "har-synth")
