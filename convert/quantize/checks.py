"""What a converted `.tflite` holds and whether the device can run it.

Three checks on every file the converter writes: its operator inventory (a Flex or other custom op
would not run in ai-edge-litert, so it is refused), a real run through the same `TFLiteModel`
class the agent uses, and how much of the graph the XNNPACK delegate takes. No TensorFlow here:
the flatbuffer is read with ai-edge-litert's own schema module.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.tools import flatbuffer_utils

from har_device.core.litert import TFLiteModel

_BUILTIN_NAMES = {value: name for name, value in vars(schema.BuiltinOperator).items()
                  if not name.startswith("_")}
DELEGATE_NODE = "DELEGATE"


def op_inventory(path: Path | str) -> dict[str, int]:
    """Operator name -> count over all subgraphs (WHILE bodies included); custom ops appear as
    `CUSTOM:<code>` (Flex ops as `CUSTOM:Flex...`)."""
    model = flatbuffer_utils.read_model(str(path))
    names = []
    for code in model.operatorCodes:
        builtin = flatbuffer_utils.get_builtin_code_from_operator_code(code)
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
            names.append(f"CUSTOM:{custom}")
        else:
            names.append(_BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}"))
    return dict(Counter(names[op.opcodeIndex] for graph in model.subgraphs
                        for op in graph.operators or []))


def non_builtin_ops(inventory: dict[str, int]) -> list[str]:
    """The Flex/custom ops in an inventory: ai-edge-litert cannot run them."""
    return sorted(name for name in inventory if name.startswith("CUSTOM:"))


def run_once(path: Path | str, seed: int = 0) -> TFLiteModel:
    """Load with the agent's loader and invoke once on a random input; the output must be finite
    and of the declared shape. Returns the loaded model for its tensor details."""
    model = TFLiteModel(path)
    real = np.random.default_rng(seed).random(model.input.shape, dtype=np.float32)
    output = model.predict(real)
    if output.shape != model.output.shape or not np.all(np.isfinite(output)):
        raise RuntimeError(f"{path}: the output is not a finite {list(model.output.shape)} tensor")
    return model


@dataclass(frozen=True)
class XnnpackCoverage:
    """Nodes of the main graph the XNNPACK delegate runs, out of all its nodes, and into how many
    delegate partitions they were grouped (every partition boundary is a hand-over to the
    reference kernels and back)."""

    delegated: int
    total: int
    partitions: int

    @property
    def fraction(self) -> float:
        return self.delegated / self.total if self.total else 0.0


def xnnpack_coverage(path: Path | str) -> XnnpackCoverage:
    """Measure, not guess, what XNNPACK takes.

    LiteRT applies XNNPACK by default; each partition it takes appears as an extra node named
    DELEGATE whose inputs and outputs are the partition's boundary tensors, while the original
    nodes stay listed. A node is delegated when it lies between a DELEGATE node's outputs and its
    inputs: walk back from those outputs through the original nodes' producers.
    """
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    nodes = interpreter._get_ops_details()
    original = [node for node in nodes if node["op_name"] != DELEGATE_NODE]
    producer = {int(t): node["index"] for node in original for t in node["outputs"]}
    by_index = {node["index"]: node for node in original}
    delegated: set[int] = set()
    delegates = [node for node in nodes if node["op_name"] == DELEGATE_NODE]
    for delegate in delegates:
        boundary = {int(t) for t in delegate["inputs"]}
        pending = [int(t) for t in delegate["outputs"]]
        while pending:
            tensor = pending.pop()
            index = producer.get(tensor)
            if tensor in boundary or index is None or index in delegated:
                continue
            delegated.add(index)
            pending += [int(t) for t in by_index[index]["inputs"] if t >= 0]
    return XnnpackCoverage(len(delegated), len(original), len(delegates))
