"""benchmarks/keypoints.py's own logic: the demo's pose pipeline's commands varied for the other
head, the unpruned conversion and the check's renders; the held-out split told apart by source;
the pose-stage check's counts (its figures come from a full run)."""
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
    readings_mask,
    recipe_steps,
    with_values,
    without,
)

from har_convert.cli.demo import pose_pipeline  # noqa: E402
from har_convert.recipes import DEMO_SEED  # noqa: E402
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
    _, train, convert = recipe_steps(pipeline)
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


def test_the_check_renders_unseen_clips_and_reads_them(tmp_path: Path) -> None:
    pipeline = pose_pipeline(tmp_path, DEMO_SEED)
    data, _, _ = recipe_steps(pipeline)
    render = next(step.command for step in data if step.command[1] == "dataset")
    check = check_commands(pipeline, tmp_path)
    assert RENDER_SEED != int(_value(render, "--seed"))
    assert RENDER_SEED not in (DEMO_SEED, DEMO_SEED + 1)
    assert without(check["renders"], "--clips-per-class", "--seed")[3:] == without(
        render, "--clips-per-class", "--seed")[3:]
    assert check["extract"][2] == check["renders"][2] != render[2]
    assert Path(check["extract"][3]).parent == tmp_path


def test_readings_are_told_apart_by_their_bytes(tmp_path: Path) -> None:
    readings, skeletons = tmp_path / "readings" / "fall", tmp_path / "skeletons" / "fall"
    readings.mkdir(parents=True)
    skeletons.mkdir(parents=True)
    (readings / "v_fall_g01_c01.npz").write_bytes(b"read")
    paths = (skeletons / "v_fall_g01_c01.npz", skeletons / "v_fall_g01_c05.npz")
    paths[0].write_bytes(b"synthetic")
    paths[1].write_bytes(b"read")
    assert readings_mask(paths, readings.parent).tolist() == [False, True]


def test_outcome_counts_the_fall_detectors_errors() -> None:
    labels = ["fall", "walk", "sit", "lying"]
    truth = np.array([0, 0, 0, 1, 2, 2])
    predicted = np.array([0, 3, 0, 0, 2, 3])
    result = outcome(predicted, truth, labels)
    assert result["accuracy"] == 0.5
    assert (result["falls_caught"], result["falls"]) == (2, 3)
    assert (result["non_falls_called_fall"], result["non_falls"]) == (1, 3)
    assert result["confusions"] == {"fall -> lying": 1, "walk -> fall": 1, "sit -> lying": 1}
