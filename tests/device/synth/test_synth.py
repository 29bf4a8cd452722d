"""har-synth: determinism, every action rendered, the geometry that tells a fall from a bend, the
UCF101-style dataset and its group split, the scripted video and its timeline, and one-line exit-2
errors. Everything is tiny (64 px, a few frames); geometry checks use the figure's drawn boxes."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from har_device.core.errors import BadInput
from har_device.core.video import probe, read_all
from har_device.synth import (
    LABELS,
    figure_boxes,
    iter_script_frames,
    parse_script,
    plan_script,
    render_clip,
    vertical_extent,
)
from har_device.synth.clips import plan_clip
from har_device.synth.dataset import group_look, make_spec, plan_slot, write_dataset
from har_device.synth.script import plan_in_context

SEEDS = range(12)
CALIBRATION = Path(__file__).resolve().parents[3] / "calibration_data"
SPAN_FRAMES, SPAN_FPS = 32, 16  # a 2 s clip at a fine time step for the geometry checks


def extents(action: str, seed: int) -> np.ndarray:
    return vertical_extent(figure_boxes(action, SPAN_FRAMES, SPAN_FPS, 96, seed))


def test_same_seed_same_bytes_other_seed_other_clip() -> None:
    first = render_clip("walk", 6, 8, 64, 5)
    assert np.array_equal(first, render_clip("walk", 6, 8, 64, 5))
    assert not np.array_equal(first, render_clip("walk", 6, 8, 64, 6))


def test_generator_seed_is_accepted_and_consumed() -> None:
    rng = np.random.default_rng(1)
    first, second = render_clip("idle", 2, 8, 64, rng), render_clip("idle", 2, 8, 64, rng)
    assert np.array_equal(first, render_clip("idle", 2, 8, 64, np.random.default_rng(1)))
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("action", LABELS)
def test_every_action_renders_moving_frames(action: str) -> None:
    clip = render_clip(action, 8, 4, 64, 2)
    assert clip.shape == (8, 64, 64, 3) and clip.dtype == np.uint8
    assert np.abs(clip[-1].astype(int) - clip[0].astype(int)).mean() > 0.5


def test_size_may_be_height_width() -> None:
    assert render_clip("sit", 3, 8, (48, 80), 0).shape == (3, 48, 80, 3)


@pytest.mark.parametrize("action", LABELS)
def test_the_figure_stays_in_the_picture(action: str) -> None:
    for seed in SEEDS:
        boxes = figure_boxes(action, 16, 8, 64, seed)
        assert boxes[:, :2].min() >= -1 and boxes[:, 2:].max() <= 65, (action, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_fall_tips_over_within_a_second_and_stays_down(seed: int) -> None:
    extent = extents("fall", seed)
    starts = int(np.argmax(extent < 0.9))
    down = int(np.argmax(extent < 0.4))
    assert extent[0] == 1.0 and extent[-1] < 0.4
    assert 0 < down - starts <= SPAN_FPS * 1.0
    assert (extent[down:] < 0.4).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_bend_goes_down_keeps_the_hips_up_and_comes_back(seed: int) -> None:
    extent = extents("bend", seed)
    assert 0.55 < extent.min() < 0.85
    assert extent[-1] > 0.85


@pytest.mark.parametrize("seed", SEEDS[:6])
def test_sit_stays_down_walk_travels_wave_raises_an_arm_idle_stays(seed: int) -> None:
    sit = extents("sit", seed)
    assert 0.5 < sit[-1] < 0.85 and (sit[-8:] < 0.85).all()
    walk = figure_boxes("walk", SPAN_FRAMES, SPAN_FPS, 96, seed)
    centre, height = (walk[:, 0] + walk[:, 2]) / 2, walk[0, 3] - walk[0, 1]
    assert abs(centre[-1] - centre[0]) > 0.3 * height
    assert extents("wave", seed).max() > 1.05
    assert np.ptp(extents("idle", seed)) < 0.06


@pytest.mark.parametrize("text", ["", "walk", "walk:0", "walk:-1", "jump:2", "walk:abc",
                                  "walk:2,,fall:1", "walk:nan"])
def test_a_bad_script_is_one_bad_input_line(text: str) -> None:
    with pytest.raises(BadInput) as error:
        parse_script(text)
    assert "\n" not in str(error.value) and "script segment" in str(error.value)


def test_script_parses_labels_and_seconds() -> None:
    segments = parse_script(" Walk:4 , fall:1.5")
    assert [(s.label, s.seconds) for s in segments] == [("walk", 4.0), ("fall", 1.5)]


def test_a_script_scene_gets_up_after_the_fall() -> None:
    scene, timeline = plan_script("idle:1,fall:2,idle:2.5", 8, 64, 4)
    extent = vertical_extent(scene.boxes())
    fall_end, after_end = int(timeline[1]["end_s"] * 8), int(timeline[2]["end_s"] * 8)
    assert scene.frames == after_end == 44
    assert extent[fall_end - 1] < 0.4
    assert extent[after_end - 1] > 0.9


@pytest.mark.parametrize("seed", SEEDS[:6])
def test_a_fall_in_context_interrupts_a_walk_and_still_ends_down(seed: int) -> None:
    rng = np.random.default_rng(seed)
    boxes = plan_in_context("fall", "walk", SPAN_FRAMES, SPAN_FPS, 96, rng, group_look(0, seed)).boxes()
    centre, extent = (boxes[:, 0] + boxes[:, 2]) / 2, vertical_extent(boxes)
    lead_in = SPAN_FRAMES // 4
    assert abs(centre[lead_in] - centre[0]) > 0.05 * (boxes[0, 3] - boxes[0, 1])
    assert (extent[:lead_in] > 0.9).all() and extent[-1] < 0.4


def test_dataset_context_share_decides_which_clips_open_with_another_action() -> None:
    plain = make_spec(("fall",), clips_per_class=4, frames=4, fps=8.0, size=64, seed=2, groups=2,
                      context=0.0)
    always = make_spec(("fall",), clips_per_class=4, frames=4, fps=8.0, size=64, seed=2, groups=2,
                       context=1.0)
    look = group_look(2, 1)
    alone = plan_clip("fall", 4, 8.0, 64, np.random.default_rng([2, 1, 0, 1]), look).render()
    assert np.array_equal(plan_slot(plain, "fall", 1, 1).render(), alone)
    in_context = plan_slot(always, "fall", 1, 1).render()
    assert not np.array_equal(in_context, alone)
    assert np.array_equal(in_context, plan_slot(always, "fall", 1, 1).render())


def test_script_frames_stream_and_loop() -> None:
    frames = list(iter_script_frames("wave:0.5", 8, 48, 1))
    looped = iter_script_frames("wave:0.5", 8, 48, 1, loop=True)
    again = [next(looped) for _ in range(len(frames) + 1)]
    assert len(frames) == 4 and frames[0].shape == (48, 48, 3)
    assert np.array_equal(again[len(frames)], frames[0])


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_dataset_layout_names_and_split_files(synth_dataset: Path) -> None:
    assert read_lines(synth_dataset / "classInd.txt") == [f"{i} {c}" for i, c in enumerate(LABELS, 1)]
    for label in LABELS:
        names = sorted(p.name for p in (synth_dataset / label).iterdir())
        assert names == sorted(f"v_{label}_g{g:02d}_c01.mp4" for g in (1, 2, 3))
    train = [line.split() for line in read_lines(synth_dataset / "trainlist01.txt")]
    test = read_lines(synth_dataset / "testlist01.txt")
    assert all(int(index) == LABELS.index(name.split("/")[0]) + 1 for name, index in train)
    train_names = {name for name, _ in train}
    assert len(train_names) + len(test) == 18 and not train_names & set(test)
    group = lambda name: name.split("_g")[1][:2]  # noqa: E731
    assert {group(n) for n in train_names}.isdisjoint({group(n) for n in test})
    for names in (train_names, test):
        assert {n.split("/")[0] for n in names} == set(LABELS)


def test_dataset_clips_read_back_through_the_video_reader(synth_dataset: Path) -> None:
    clip = synth_dataset / "fall" / "v_fall_g01_c01.mp4"
    info = probe(clip)
    assert (info.width, info.height, info.fps) == (64, 64, 8.0)
    assert read_all(clip).shape == (4, 64, 64, 3)


def test_dataset_clip_does_not_depend_on_the_other_classes(synth_dataset: Path, tmp_path: Path) -> None:
    spec = make_spec(("sit",), clips_per_class=3, frames=4, fps=8.0, size=64, seed=7, groups=3)
    write_dataset(tmp_path / "one", spec, progress=False)
    name = "sit/v_sit_g02_c01.mp4"
    assert (tmp_path / "one" / name).read_bytes() == (synth_dataset / name).read_bytes()


def test_dataset_rendered_by_worker_processes_is_the_same(synth_dataset: Path, tmp_path: Path) -> None:
    spec = make_spec(("sit", "fall"), clips_per_class=3, frames=4, fps=8.0, size=64, seed=7,
                     groups=3)
    write_dataset(tmp_path / "pool", spec, progress=False, workers=2)
    for name in ("sit/v_sit_g02_c01.mp4", "fall/v_fall_g03_c01.mp4"):
        assert (tmp_path / "pool" / name).read_bytes() == (synth_dataset / name).read_bytes()


def test_dataset_refuses_a_non_empty_directory_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    spec = make_spec(("idle",), clips_per_class=2, frames=1, fps=8.0, size=32, seed=0, groups=None)
    with pytest.raises(BadInput, match="not empty"):
        write_dataset(tmp_path, spec, progress=False)
    assert (tmp_path / "keep.txt").exists()
    write_dataset(tmp_path, spec, force=True, progress=False)
    assert not (tmp_path / "keep.txt").exists() and (tmp_path / "classInd.txt").exists()


def test_video_and_timeline_match_the_script(synth_video: Path, synth_script: str) -> None:
    meta = json.loads(synth_video.with_suffix(".json").read_text())
    script = parse_script(synth_script)
    assert meta["script"] == synth_script
    assert [(e["label"], e["end_s"] - e["start_s"]) for e in meta["timeline"]] == \
        [(s.label, s.seconds) for s in script]
    assert meta["timeline"][0]["start_s"] == 0 and all(
        a["end_s"] == b["start_s"] for a, b in zip(meta["timeline"], meta["timeline"][1:]))
    assert (meta["fps"], meta["size"], meta["seed"], meta["frames"]) == (8.0, 64, 3, 56)
    frames = read_all(synth_video)
    assert frames.shape == (56, 64, 64, 3)
    assert probe(synth_video).fps == 8.0


@pytest.mark.parametrize("args", [
    ["video", "{tmp}/out.mp4", "--script", "walk:4,jump:1"],
    ["video", "{tmp}/out.avi"],
    ["video", "{tmp}/out.mp4", "--size", "16"],
    ["dataset", "{tmp}/data", "--frames", "0"],
    ["dataset", "{tmp}/data", "--classes", "fall,jump"],
    ["dataset", "{tmp}/data", "--clips-per-class", "4", "--groups", "9"],
    ["dataset", "{tmp}/data", "--fps", "0"],
    ["dataset", "{tmp}/data", "--context", "1.5"],
])
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(args: list[str], tmp_path: Path,
                                                                 har_synth: str) -> None:
    done = subprocess.run([har_synth] + [a.format(tmp=tmp_path) for a in args],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("har-synth: error: ") and done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_calibration_data_is_small_complete_and_current() -> None:
    """The shipped set matches its README's command: every class, no split files, under 2 MB, and a
    clip re-rendered now still matches the committed one (up to mp4 compression)."""
    assert read_lines(CALIBRATION / "classInd.txt") == [f"{i} {c}" for i, c in enumerate(LABELS, 1)]
    assert not (CALIBRATION / "trainlist01.txt").exists()
    clips = sorted(CALIBRATION.glob("*/*.mp4"))
    assert len(clips) == 36 and {clip.parent.name for clip in clips} == set(LABELS)
    assert sum(clip.stat().st_size for clip in clips) < 2_000_000
    spec = make_spec(LABELS, clips_per_class=6, frames=16, fps=8.0, size=112, seed=1, groups=6,
                     context=0.0)
    committed = read_all(CALIBRATION / "fall" / "v_fall_g03_c01.mp4").astype(int)
    fresh = plan_slot(spec, "fall", 3, 1).render()
    assert committed.shape == fresh.shape == (16, 112, 112, 3)
    assert np.abs(committed - fresh).mean() < 8
