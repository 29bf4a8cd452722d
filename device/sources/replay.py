"""The finite, deterministic kinds of source: a video file and a `synthetic:` scene from har-synth."""
from __future__ import annotations

from pathlib import Path

from har_device.core.errors import BadInput
from har_device.sources.frames import ReplaySource

SYNTHETIC_PREFIX = "synthetic:"
DEFAULT_SYNTHETIC_SCRIPT = "walk:4,fall:3,idle:3,bend:3,sit:4,wave:3,fall:3,idle:2"


def file_source(path: Path, loop: bool) -> ReplaySource:
    from har_device.core.video import iter_frames, probe

    info = probe(path)
    if info.fps <= 0:
        raise BadInput(f"{path}: the video has no frame rate; re-encode it with one")
    return ReplaySource(str(path), lambda: iter_frames(path), info.fps, loop)


def synthetic_source(spec: str, loop: bool) -> ReplaySource:
    """`synthetic:` [SCRIPT] [;fps=R][;size=S][;seed=K] — a rendered scene from har-synth."""
    from har_device.synth import iter_script_frames, parse_script

    script, options = _split_options(spec[len(SYNTHETIC_PREFIX):])
    script = script or DEFAULT_SYNTHETIC_SCRIPT
    parse_script(script)
    fps = float(options.get("fps", 8))
    size = int(options.get("size", 112))
    seed = int(options.get("seed", 0))
    return ReplaySource(f"synthetic:{script}", lambda: iter_script_frames(script, fps, size, seed),
                        fps, loop)


def _split_options(text: str) -> tuple[str, dict[str, str]]:
    head, *parts = text.split(";")
    options: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("fps", "size", "seed"):
            raise BadInput(f"source option {part!r}: expected fps=R, size=S or seed=K")
        options[key.strip()] = value.strip()
    return head.strip(), options
