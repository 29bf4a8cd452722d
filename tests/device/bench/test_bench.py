"""`har-bench` on the tiny bundle: the JSON document, real-frame inputs, --compare, --pipeline,
agreement with LiteRT's own benchmark, and bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TINY = Path(__file__).parents[2] / "fixtures" / "tiny_bundle"
BENCH = str(Path(sys.executable).with_name("har-bench"))
TIMING_KEYS = {"threads", "init_ms", "first_ms", "warmup_mean_ms", "runs", "min_ms", "mean_ms",
               "std_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "throughput_per_s",
               "rss_after_init_mb", "rss_after_mb", "rss_growth_mb", "peak_rss_mb"}


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BENCH, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def video(noise_video: Path) -> Path:
    return noise_video


@pytest.fixture(scope="module")
def report(tmp_path_factory, video: Path) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    result = bench(str(TINY), "--threads", "1,2", "--runs", "30", "--min-secs", "0.1",
                   "--source", str(video), "--compare", str(TINY / "model_int8.tflite"),
                   "--pipeline", str(video), "--frames", "40", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "p99" in result.stdout and "streaming/clip compute per output" in result.stdout
    return json.loads(out.read_text())


def test_json_document_has_every_model_thread_count_and_statistic(report: dict) -> None:
    assert report["schema"] == "har-bench/1"
    assert {model["role"] for model in report["models"]} == {"clip", "frame", "head"}
    for model in report["models"]:
        assert [result["threads"] for result in model["results"]] == [1, 2]
        for result in model["results"]:
            assert set(result) == TIMING_KEYS
            assert result["min_ms"] <= result["p50_ms"] <= result["p90_ms"] <= result["p99_ms"] \
                <= result["max_ms"]
            assert result["runs"] >= 30 and result["peak_rss_mb"] > 0
    roles = {model["role"]: model["inputs"] for model in report["models"]}
    assert roles == {"clip": "frames", "frame": "frames", "head": "random"}
    assert set(report["host"]) >= {"machine", "cpu_count", "runtime"}
    assert "cpu_temp_c" in report["thermal_before"] and "throttled" in report["thermal_after"]


def test_compare_and_pipeline_sections(report: dict) -> None:
    compare = report["compare"]
    assert compare["size_ratio"] == 1.0 and compare["mean_ratio"] > 0
    pipeline = report["pipeline"]
    assert set(pipeline["modes"]) == {"clip", "streaming"}
    for mode in pipeline["modes"].values():
        assert mode["frames"] == 40 and mode["decisions"] == 40 - 3
        assert set(mode["stages_ms"]) == {"preprocess_ms", "inference_ms", "postprocess_ms",
                                          "total_ms"}
    assert pipeline["streaming_vs_clip"]["target"] == pytest.approx(1.5 / 4)


def test_agrees_with_litert_benchmark(tmp_path: Path) -> None:
    model = TINY / "model_int8.tflite"
    theirs_json = tmp_path / "litert.json"
    subprocess.run([sys.executable, "-m", "ai_edge_litert.tools.benchmark_litert_model",
                    "--model", str(model), "--num_threads", "1", "--num_runs", "500",
                    "--result_json", str(theirs_json)], capture_output=True, check=True,
                   timeout=120)
    theirs = json.loads(theirs_json.read_text())["latency"]
    ours_json = tmp_path / "ours.json"
    assert bench(str(model), "--runs", "500", "--min-secs", "0", "--json",
                 str(ours_json)).returncode == 0
    ours = json.loads(ours_json.read_text())["models"][0]["results"][0]
    # The minimum is what load on a shared machine disturbs least; LiteRT's tool rounds to 0.01 ms
    # and this model runs in tens of microseconds, hence the absolute floor.
    assert abs(ours["min_ms"] - theirs["min_ms"]) <= max(0.03, 0.5 * theirs["min_ms"])
    assert theirs["median_ms"] / 3 - 0.03 <= ours["p50_ms"] <= 3 * theirs["median_ms"] + 0.03


@pytest.mark.parametrize("args, expected", [
    (["--threads", "0"], "--threads"),
    (["--pipeline", "synthetic:"], "--pipeline needs a bundle"),
])
def test_bad_arguments_exit_2(args: list[str], expected: str) -> None:
    result = bench(str(TINY / "model_int8.tflite"), *args)
    assert result.returncode == 2 and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_not_a_model_exits_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"junk")
    result = bench(str(junk))
    assert result.returncode == 2 and "not a loadable TFLite model" in result.stderr
