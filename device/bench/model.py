"""Model timing on the device, measured the way LiteRT's benchmark_model measures it, plus more.

Each measurement loads the model fresh (initialisation time), times the first inference and the
warm-up separately, then times `invoke()` alone for at least `runs` runs and `min_secs` seconds.
It adds what benchmark_model lacks: p90/p99, resident memory and its growth, the CPU's
temperature and clock before and after (a Pi that throttles halfway gives misleading means), and
inputs taken from real frames when a source is given, since int8 kernels' speed can depend on data.
"""
from __future__ import annotations

import os
import platform
import resource
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from har_device.core.bundle import InputSpec
from har_device.core.litert import TensorInfo, TFLiteModel
from har_device.core.preprocess import InputMapper
from har_device.sources import open_source

PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class Timing:
    threads: int
    init_ms: float
    first_ms: float
    warmup_mean_ms: float
    runs: int
    min_ms: float
    mean_ms: float
    std_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    throughput_per_s: float
    rss_after_init_mb: float
    rss_after_mb: float
    rss_growth_mb: float
    peak_rss_mb: float


def rss_mb() -> float:
    """Current resident set size (not the peak), from /proc, where growth shows leaks."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def random_inputs(tensor: TensorInfo, count: int, seed: int = 0) -> list[np.ndarray]:
    """Inputs spread over the tensor's whole range, as benchmark_model's random inputs are."""
    rng = np.random.default_rng(seed)
    if np.issubdtype(tensor.dtype, np.integer):
        limits = np.iinfo(tensor.dtype)
        return [rng.integers(limits.min, limits.max + 1, tensor.shape, dtype=tensor.dtype)
                for _ in range(count)]
    return [rng.random(tensor.shape, dtype=np.float32).astype(tensor.dtype) for _ in range(count)]


def frame_inputs(tensor: TensorInfo, source: str, spec: InputSpec, count: int = 8
                 ) -> list[np.ndarray] | None:
    """Real frames from `source`, mapped exactly as the agent maps them, for a frame or clip input.

    Returns None for inputs that are not images (a temporal head's feature vectors).
    """
    shape = tensor.shape
    if len(shape) not in (4, 5) or shape[-1] != 3:
        return None
    frames_per_input = shape[1] if len(shape) == 5 else 1
    quant_scale = tensor.scale if tensor.quantized else 0.0
    mapper = InputMapper(shape[-3], shape[-2], spec.colour, spec.scale, spec.offset, tensor.dtype,
                         quant_scale, tensor.zero_point)
    reader = open_source(source, loop=True)
    try:
        needed = count + frames_per_input - 1
        mapped = [mapper(frame.image) for frame in islice(reader.frames(threading.Event()), needed)]
    finally:
        reader.close()
    if len(shape) == 4:
        return [image[np.newaxis] for image in mapped]
    return [np.stack(mapped[start:start + frames_per_input])[np.newaxis] for start in range(count)]


def _timed_invokes(model: TFLiteModel, inputs: list[np.ndarray]) -> Iterator[float]:
    index = 0
    while True:
        model.interpreter.set_tensor(model.input.index, inputs[index % len(inputs)])
        started = time.perf_counter()
        model.interpreter.invoke()
        yield (time.perf_counter() - started) * 1000.0
        index += 1


def measure(path: Path, threads: int, inputs: list[np.ndarray] | None, runs: int = 50,
            warmup: int = 5, min_secs: float = 1.0) -> Timing:
    started = time.perf_counter()
    model = TFLiteModel(path, threads)
    init_ms = (time.perf_counter() - started) * 1000.0
    rss_after_init = rss_mb()
    invokes = _timed_invokes(model, inputs or random_inputs(model.input, 8))
    first_ms = next(invokes)
    warmup_ms = [next(invokes) for _ in range(warmup)]
    times: list[float] = []
    deadline = time.perf_counter() + min_secs
    while len(times) < runs or time.perf_counter() < deadline:
        times.append(next(invokes))
    values = np.array(times)
    points = np.percentile(values, PERCENTILES)
    rss_after = rss_mb()
    return Timing(
        threads=threads, init_ms=init_ms, first_ms=first_ms,
        warmup_mean_ms=float(np.mean(warmup_ms)) if warmup_ms else first_ms, runs=len(values),
        min_ms=float(values.min()), mean_ms=float(values.mean()), std_ms=float(values.std()),
        p50_ms=float(points[0]), p90_ms=float(points[1]), p95_ms=float(points[2]),
        p99_ms=float(points[3]), max_ms=float(values.max()),
        throughput_per_s=1000.0 / float(values.mean()), rss_after_init_mb=rss_after_init,
        rss_after_mb=rss_after, rss_growth_mb=rss_after - rss_after_init,
        peak_rss_mb=peak_rss_mb())


def compare(first: Path, second: Path, threads: int, runs: int,
            inputs: tuple[list | None, list | None] = (None, None)) -> dict[str, Any]:
    """Both models in one process, invoked in alternation, so drift and heat hit both alike."""
    paths = (first, second)
    models = [TFLiteModel(path, threads) for path in paths]
    streams = [_timed_invokes(model, given or random_inputs(model.input, 8))
               for model, given in zip(models, inputs)]
    for stream in streams:
        next(stream)
    times: list[list[float]] = [[], []]
    for _ in range(runs):
        for values, stream in zip(times, streams):
            values.append(next(stream))
    means = [float(np.mean(values)) for values in times]
    medians = [float(np.median(values)) for values in times]
    sizes = [path.stat().st_size for path in paths]
    return {"threads": threads, "runs": runs,
            "models": [{"path": str(path), "mean_ms": mean, "p50_ms": median, "size_bytes": size}
                       for path, mean, median, size in zip(paths, means, medians, sizes)],
            "mean_ratio": means[1] / means[0], "p50_ratio": medians[1] / medians[0],
            "size_ratio": sizes[1] / sizes[0]}


def _read_number(path: Path) -> float | None:
    try:
        return float(path.read_text().strip())
    except (OSError, ValueError):
        return None


def thermal_state() -> dict[str, Any]:
    """CPU temperature (°C), current clock (MHz) and, on a Pi, the firmware's throttling flags."""
    temps = [value / 1000 for zone in sorted(Path("/sys/class/thermal").glob("thermal_zone*"))
             if (value := _read_number(zone / "temp")) is not None]
    freq = _read_number(Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq"))
    state: dict[str, Any] = {"cpu_temp_c": max(temps) if temps else None,
                             "cpu_freq_mhz": freq / 1000 if freq else None, "throttled": None}
    try:
        output = subprocess.run(["vcgencmd", "get_throttled"], capture_output=True, text=True,
                                timeout=5).stdout
        state["throttled"] = output.strip().partition("=")[2] or None
    except (OSError, subprocess.TimeoutExpired):
        pass
    return state


def host_facts() -> dict[str, Any]:
    try:
        runtime = f"ai-edge-litert {metadata.version('ai-edge-litert')}"
    except metadata.PackageNotFoundError:
        runtime = "tflite-runtime"
    return {"machine": platform.machine(), "processor": platform.processor() or None,
            "system": platform.platform(), "cpu_count": _cpu_count(), "python":
            platform.python_version(), "runtime": runtime}


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def timing_dict(timing: Timing) -> dict[str, Any]:
    return {key: round(value, 4) if isinstance(value, float) else value
            for key, value in asdict(timing).items()}
