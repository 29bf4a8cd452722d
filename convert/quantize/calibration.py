"""The representative inputs int8 calibration needs, from a clip folder or a saved array.

Where from: `--calib` when given; else the train split of `--data` (the model's own kind of
footage, and never the clips it is evaluated on); else the shipped `calibration_data/` (in the
working directory, else in the repository) when its clips fit the input; else random pixels.

A folder (UCF layout, e.g. the shipped calibration_data/) is decoded by
`har_convert.data.calibration_samples` at the model's T and size. A `.npy` array (N, T, H, W, 3),
uint8 pixels or float x = pixel/255, is accepted too (inputs captured on a device, say): other
frame sizes are squash-resized with the shared `resize_frame` and another T is resampled
uniformly, because both are just other views of the same scenes; any other rank is BadInput.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from har_convert.data import calibration_samples, index_folder, load_clips
from har_device.core.errors import BadInput
from har_device.core.preprocess import resize_frame

CLIP_RANK = 5
FRAMES_PER_CLIP_FOR_FRAME_MODELS = 4
DEFAULT_FOLDER = "calibration_data"
RANDOM_SOURCE = "random pixels"
REPOSITORY = Path(__file__).resolve().parents[2]


def calibration_set(calib: Path | None, data_dir: Path | None, frames: int, size: int | None,
                    n: int, sample_fps: float | None, seed: int = 0,
                    keypoints: bool = False) -> tuple[np.ndarray, str, list[str]]:
    """(model inputs float32 (<=n, frames, size, size, 3), or (<=n, frames, FEATURES) for a
    keypoint model, where they came from by name, the warning saying what was assumed when
    neither --calib nor --data was given). A keypoint model has no shipped default set."""
    if calib is not None:
        return load_calibration(calib, frames, size, n, sample_fps), calib.name, []
    if data_dir is not None:
        return (_from_train_split(data_dir, frames, size, n, sample_fps, seed),
                f"{data_dir.name} (train split)", [])
    if keypoints:
        raise BadInput("no calibration data for a keypoint model: pass --calib DIR or --data DIR "
                       "(keypoint sequences, e.g. from har-synth skeletons)")
    return _assumed_calibration(frames, size, n, sample_fps, seed)


def _assumed_calibration(frames: int, size: int, n: int, sample_fps: float | None,
                         seed: int) -> tuple[np.ndarray, str, list[str]]:
    """The shipped calibration_data/ when its clips fit the input (enough frames), else random
    pixels: they convert, but give int8 ranges unrelated to real footage, and the warning says so."""
    folder = next((folder for folder in (Path.cwd() / DEFAULT_FOLDER, REPOSITORY / DEFAULT_FOLDER)
                   if folder.is_dir()), None)
    if folder is None:
        reason = f"no {DEFAULT_FOLDER}/ here or in the repository"
    else:
        try:
            clips = load_calibration(folder, frames, size, n, sample_fps)
        except BadInput:
            reason = f"{DEFAULT_FOLDER}/ has no clip that fits the input (T={frames})"
        else:
            return clips, DEFAULT_FOLDER, [
                f"calibration: int8 ranges from {DEFAULT_FOLDER}/ (synthetic people) until you "
                "pass --calib DIR with footage like your camera's, or --data DIR"]
    return random_clips(frames, size, n, seed), RANDOM_SOURCE, [
        f"calibration: {reason}; int8 ranges from random pixels, so int8 accuracy may be poor "
        "until you pass --calib DIR or --data DIR"]


def random_clips(frames: int, size: int, n: int, seed: int) -> np.ndarray:
    """n clips of uniform random pixels, x in [0, 1): the calibration of last resort."""
    return np.random.default_rng(seed).random((n, frames, size, size, 3), dtype=np.float32)


def _from_train_split(data_dir: Path, frames: int, size: int, n: int,
                      sample_fps: float | None, seed: int) -> np.ndarray:
    """n clips spread evenly over the train split (class by class, so every class is in)."""
    train = sorted(index_folder(data_dir, seed=seed).train, key=lambda ref: ref.label)
    chosen = [train[i * len(train) // n] for i in range(min(n, len(train)))]
    clips, _ = load_clips(chosen, frames, size, sample_fps, progress=False)
    if not len(clips):
        raise BadInput(f"{data_dir}: no usable calibration clip in the train split")
    return clips.inputs()


def load_calibration(source: Path, frames: int, size: int, n: int,
                     sample_fps: float | None) -> np.ndarray:
    """Up to `n` clips float32 (n, frames, size, size, 3), x = pixel/255."""
    if source.is_file() and source.suffix == ".npy":
        return _from_array(source, frames, size, n)
    if not source.is_dir():
        raise BadInput(f"{source}: no such calibration folder or .npy file")
    return calibration_samples(source, frames, size, n, sample_fps)


def _from_array(path: Path, frames: int, size: int, n: int) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise BadInput(f"{path}: not a readable .npy array ({error})") from None
    if array.ndim != CLIP_RANK or array.shape[-1] != 3 or not len(array):
        raise BadInput(f"{path}: calibration array of shape {list(array.shape)}; expected "
                       "(N, T, H, W, 3) clips with N >= 1")
    pixels = array if array.dtype == np.uint8 else np.clip(np.round(array * 255.0), 0, 255)
    pixels = pixels[:n].astype(np.uint8)
    steps = np.linspace(0, pixels.shape[1] - 1, frames).round().astype(int)
    clips = [[resize_frame(frame, size, size, colour="BGR") for frame in clip[steps]]
             for clip in pixels]
    return np.asarray(clips, dtype=np.float32) / 255.0


def frame_samples(clips: np.ndarray) -> np.ndarray:
    """Single frames (M, S, S, 3) for a per-frame model: a few spread over each clip, so that
    every scene is represented without calibrating on T near-identical frames of each."""
    per_clip = min(FRAMES_PER_CLIP_FOR_FRAME_MODELS, clips.shape[1])
    steps = np.linspace(0, clips.shape[1] - 1, per_clip).round().astype(int)
    return clips[:, steps].reshape((-1, *clips.shape[2:]))
