"""`har-pose`: fetch the BlazePose models once, and run the pose stage alone on a video or camera."""
from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

import har_device
from har_device.cli.entry import common_options, run_cli
from har_device.core.errors import BadInput
from har_device.core.pose_models import ENV_DIR
from har_device.pose.extract import extract as extract_sequences
from har_device.pose.extract import videos
from har_device.pose.models import fetch as fetch_models
from har_device.pose.track import track as track_video
from har_device.pose.tracker import PoseStage
from har_device.sources import open_source

_DIR_HELP = f"Model cache folder [default: ${ENV_DIR} or ~/.cache/har-edge/pose-models]."


@click.group()
@common_options(har_device.__version__)
def cli() -> None:
    """BlazePose in LiteRT: 33 body landmarks per frame, tracked and smoothed."""


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help=_DIR_HELP)
def fetch(directory: Path | None) -> None:
    """Download the pinned mediapipe wheel (no dependencies), extract and verify the two models."""
    for path in fetch_models(directory):
        click.echo(str(path))


@cli.command()
@click.argument("video")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV, one row per frame: frame, person, 33 × (x, y, z, visibility, presence), pose_ms.")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write this mp4 with the skeleton and the region drawn.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help=_DIR_HELP)
@click.option("--threads", type=int, default=2, show_default=True, help="LiteRT threads per model.")
@click.option("--frames", "limit", type=int, help="Stop after this many frames (cameras run until ^C).")
def track(video: str, out: Path, preview: Path | None, directory: Path | None, threads: int,
          limit: int | None) -> None:
    """Run the pose stage on VIDEO (a file or a camera spec as har-agent's --source takes)."""
    if preview is not None and preview.suffix.lower() != ".mp4":
        raise BadInput(f"{preview}: expected a preview name ending in .mp4")
    source = open_source(video)
    try:
        stage = PoseStage.load(directory, threads)
    except BadInput:
        source.close()
        raise
    frames, people = track_video(stage, source, out, preview, limit)
    click.echo(f"{out}: {frames} frames, a person in {people}")


@cli.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help=_DIR_HELP)
@click.option("--threads", type=int, default=2, show_default=True, help="LiteRT threads per model.")
def extract(data_dir: Path, out: Path, directory: Path | None, threads: int) -> None:
    """Turn a UCF-style folder of videos into the same folder of keypoint sequences (.npz)."""
    total = len(videos(data_dir))
    stage = PoseStage.load(directory, threads)
    with tqdm(total=total, unit="video", desc="har-pose extract",
              disable=None) as progress:
        shares = []
        for _, share in extract_sequences(stage, data_dir, out):
            shares.append(share)
            progress.update()
    click.echo(f"{out}: {len(shares)} sequences, a person in {sum(shares) / len(shares):.0%} of "
               "their frames")


main = run_cli(cli, "har-pose")
