"""benchmarks/keypoints.py's own logic: the demo's pose pipeline's commands varied for the other
head and the unpruned conversion; the check's renders and their reading; the pose-stage check's
counts (its figures come from a full run)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from keypoints import (  # noqa: E402
    FIRST_LAYER,
    RECIPE_HEAD,
    RENDER_SEED,
    check_commands,
    head_commands,
    outcome,
    recipe_steps,
    with_values,
    without,
)

from har_convert.cli.demo import pose_pipeline  # noqa: E402
from har_convert.recipes import DEMO_SEED, KEYPOINT_CONVERT_OPTIONS  # noqa: E402
from har_convert.train.zoo.registry import build  # noqa: E402


def _value(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_with_values_replaces_values_and_refuses_a_missing_option() -> None:
    assert with_values(["--arch", "a", "--out", "x"], {"--arch": "b"}) == ["--arch", "b",
                                                                           "--out", "x"]
    with pytest.raises(ValueError):
        with_values(["--arch", "a"], {"--exclude": "kp_embed"})


def test_without_drops_each_option_and_its_value() -> None:
    assert without(["m", "--prune", "0.5", "--exclude", "e", "--qat-epochs", "1"],
                   "--prune", "--exclude") == ["m", "--qat-epochs", "1"]
    assert without(["m", "--qat-epochs", "1"], "--prune") == ["m", "--qat-epochs", "1"]


@pytest.mark.parametrize("arch", sorted(FIRST_LAYER))
def test_first_layer_names_each_heads_first_layer(arch: str) -> None:
    assert build(arch, num_classes=8, frames=16).layers[1].name == FIRST_LAYER[arch]


def test_the_recipes_head_is_trained_and_converted_by_the_recipes_own_steps(
        tmp_path: Path) -> None:
    pipeline = pose_pipeline(tmp_path, DEMO_SEED)
    data, train, convert = recipe_steps(pipeline)
    assert [step.command[1] for step in data] == ["fetch", "skeletons"]
    assert _value(convert.command, "--exclude") == FIRST_LAYER[RECIPE_HEAD]
    assert KEYPOINT_CONVERT_OPTIONS == convert.command[-len(KEYPOINT_CONVERT_OPTIONS):]
    folder = tmp_path / RECIPE_HEAD
    model = str(folder / "model.keras")
    commands = head_commands(pipeline, RECIPE_HEAD, folder)
    assert commands["train"] == [*with_values(train.command, {"--out": model}), "--quiet"]
    assert commands["pruned"] == [convert.command[0], model, *with_values(
        convert.command, {"--out": str(folder / "pruned")})[2:]]


def test_the_other_head_swaps_its_arch_and_keeps_its_own_first_layer(tmp_path: Path) -> None:
    pipeline = pose_pipeline(tmp_path, DEMO_SEED)
    _, train, _ = recipe_steps(pipeline)
    commands = head_commands(pipeline, "kp-tcn", tmp_path / "kp-tcn")
    assert without(commands["train"], "--arch", "--out") == [*without(train.command, "--arch",
                                                                      "--out"), "--quiet"]
    assert _value(commands["train"], "--arch") == "kp-tcn"
    assert commands["pruned"][1] == _value(commands["train"], "--out")
    assert _value(commands["pruned"], "--exclude") == "tcn_project"
    assert "--prune" not in commands["unpruned"] and "--exclude" not in commands["unpruned"]
    assert _value(commands["unpruned"], "--out") == str(tmp_path / "kp-tcn" / "unpruned")


def test_the_check_renders_clips_with_a_seed_of_their_own_and_reads_them(
        tmp_path: Path) -> None:
    pipeline = pose_pipeline(tmp_path, DEMO_SEED)
    check = check_commands(pipeline, tmp_path)
    used = {int(_value(step.command, "--seed")) for step in pipeline.steps
            if "--seed" in step.command}
    assert RENDER_SEED not in used | {DEMO_SEED}
    assert Path(check["renders"][0]).name == "har-synth" and check["renders"][1] == "dataset"
    assert _value(check["renders"], "--seed") == str(RENDER_SEED)
    video = next(step.command for step in pipeline.steps if step.command[1] == "video")
    assert _value(check["renders"], "--size") == _value(video, "--size")
    assert Path(check["extract"][0]).name == "har-pose"
    assert check["extract"][1:3] == ["extract", check["renders"][2]]
    assert Path(check["renders"][2]).parent == Path(check["extract"][3]).parent == tmp_path


def test_outcome_counts_the_fall_detectors_errors() -> None:
    labels = ["fall", "walk", "sit", "lying"]
    truth = np.array([0, 0, 0, 1, 2, 2])
    predicted = np.array([0, 3, 0, 0, 2, 3])
    result = outcome(predicted, truth, labels)
    assert result["accuracy"] == 0.5
    assert (result["falls_caught"], result["falls"]) == (2, 3)
    assert (result["non_falls_called_fall"], result["non_falls"]) == (1, 3)
    assert result["confusions"] == {"fall -> lying": 1, "walk -> fall": 1, "sit -> lying": 1}
