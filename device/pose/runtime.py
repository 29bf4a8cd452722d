"""A LiteRT model with several outputs (the BlazePose models have two and five), beside the
single-output `TFLiteModel` of har_device.core.litert, with the same loading errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from har_device.core.errors import BadInput
from har_device.core.litert import load_interpreter, tensor_info


class MultiOutputModel:
    """One float input, outputs in the model's own order (the order MediaPipe's graphs index)."""

    def __init__(self, path: Path | str, threads: int | None = None):
        self.path = Path(path)
        self.interpreter = load_interpreter(self.path, threads)
        inputs = self.interpreter.get_input_details()
        if len(inputs) != 1:
            raise BadInput(f"{self.path}: expected one input, found {len(inputs)}")
        self.input = tensor_info(inputs[0])
        self.outputs = [tensor_info(detail) for detail in self.interpreter.get_output_details()]

    def invoke(self, tensor: np.ndarray, wanted: tuple[int, ...]) -> list[np.ndarray]:
        """Run on a float32 tensor of the input's shape; return copies of the `wanted` outputs."""
        self.interpreter.set_tensor(self.input.index, tensor)
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(self.outputs[i].index).copy() for i in wanted]
