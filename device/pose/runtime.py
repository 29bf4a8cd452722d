"""A LiteRT model with several outputs (the BlazePose models have two and five), beside the
single-output `TFLiteModel` of har_device.core.litert, with the same loading errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from har_device.core.errors import BadInput
from har_device.core.litert import Interpreter, TensorInfo


def _info(detail: dict) -> TensorInfo:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorInfo(detail["index"], detail["name"], tuple(int(d) for d in detail["shape"]),
                      np.dtype(detail["dtype"]), float(scale), int(zero_point))


class MultiOutputModel:
    """One float input, outputs in the model's own order (the order MediaPipe's graphs index)."""

    def __init__(self, path: Path | str, threads: int | None = None):
        self.path = Path(path)
        try:
            self.interpreter = Interpreter(model_path=str(self.path), num_threads=threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise BadInput(f"{self.path}: not a loadable TFLite model ({first})") from None
        inputs = self.interpreter.get_input_details()
        if len(inputs) != 1:
            raise BadInput(f"{self.path}: expected one input, found {len(inputs)}")
        self.input = _info(inputs[0])
        self.outputs = [_info(detail) for detail in self.interpreter.get_output_details()]

    def invoke(self, tensor: np.ndarray, wanted: tuple[int, ...]) -> list[np.ndarray]:
        """Run on a float32 tensor of the input's shape; return copies of the `wanted` outputs."""
        self.interpreter.set_tensor(self.input.index, tensor)
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(self.outputs[i].index).copy() for i in wanted]
