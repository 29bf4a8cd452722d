"""One way to load and run a `.tflite` file, shared by the agent, har-bench and the converter's checks.

The host evaluates converted models through this same class, so what the report measures is what
the device will run. ai-edge-litert's Interpreter (XNNPACK by default) is preferred; `tflite_runtime`
is the fallback for devices that only have that wheel.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har_device.core.errors import BadInput
from har_device.core.quiet import stderr_silenced

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - exercised only on devices with tflite_runtime alone
    from tflite_runtime.interpreter import Interpreter  # type: ignore[no-redef]


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.dtype in (np.int8, np.uint8) and self.scale > 0

    def quantize(self, real: np.ndarray) -> np.ndarray:
        """Float → this tensor's integer type, saturating (real = (q - zero_point) * scale)."""
        info = np.iinfo(self.dtype)
        q = np.round(real / self.scale) + self.zero_point
        return np.clip(q, info.min, info.max).astype(self.dtype)

    def dequantize(self, values: np.ndarray) -> np.ndarray:
        if not self.quantized:
            return values.astype(np.float32)
        return (values.astype(np.float32) - self.zero_point) * self.scale


def tensor_info(detail: dict) -> TensorInfo:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorInfo(detail["index"], detail["name"], tuple(int(d) for d in detail["shape"]),
                      np.dtype(detail["dtype"]), float(scale), int(zero_point))


def load_interpreter(path: Path, threads: int | None = None) -> Interpreter:
    """A LiteRT interpreter with its tensors allocated, or `BadInput` in one line. LiteRT prints
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++ while it builds one, so
    descriptor 2 is silenced around that (har_device.core.quiet)."""
    if not path.is_file():
        raise BadInput(f"{path}: no such model file")
    try:
        with stderr_silenced():
            interpreter = Interpreter(model_path=str(path), num_threads=threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInput(f"{path}: not a loadable TFLite model ({first_line})") from None
    return interpreter


class TFLiteModel:
    """A loaded `.tflite` with one input and one output, ready to `invoke`."""

    def __init__(self, path: Path | str, threads: int | None = None):
        self.path = Path(path)
        self.interpreter = load_interpreter(self.path, threads)
        inputs = self.interpreter.get_input_details()
        outputs = self.interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) != 1:
            raise BadInput(f"{self.path}: expected one input and one output, found "
                           f"{len(inputs)} and {len(outputs)}")
        self.input = tensor_info(inputs[0])
        self.output = tensor_info(outputs[0])

    def invoke(self, tensor: np.ndarray) -> np.ndarray:
        """Run on an input already in the model's dtype and shape; returns the raw output (a copy).

        Every call starts from zeroed variable tensors: a converted Keras LSTM keeps its hidden and
        cell state in them, and without the reset one window's answer would depend on the window
        before it (measured on the demo LRCN: 71 % top-class agreement with Keras instead of 100 %).
        """
        self.interpreter.set_tensor(self.input.index, tensor)
        self.interpreter.reset_all_variables()
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output.index).copy()

    def predict(self, real: np.ndarray) -> np.ndarray:
        """Float input in the model's real-valued domain → float output (quantizing as needed)."""
        real = np.asarray(real, dtype=np.float32).reshape(self.input.shape)
        tensor = self.input.quantize(real) if self.input.quantized else real.astype(self.input.dtype)
        return self.output.dequantize(self.invoke(tensor))

    def check_input_shape(self, expected: tuple[int, ...]) -> None:
        if self.input.shape != tuple(expected):
            raise BadInput(f"{self.path}: input shape {list(self.input.shape)} does not match the "
                           f"expected {list(expected)}")
