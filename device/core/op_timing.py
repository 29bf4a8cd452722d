"""Per-operator latency of a `.tflite` model, measured in LiteRT itself.

ai-edge-litert 2.3's Python interpreter has no operator profiler (the op profiler lives in the
C++ benchmark tool; the Python constructor's `experimental_force_delegate_node_profiling` only
feeds a profiler Python cannot attach), so each operator is timed on its own: the model's
flatbuffer is cut into one single-operator model per operator (same weights, same quantization,
same operator version), each loaded in its own interpreter with the same threads and XNNPACK,
and fed the tensors that operator really receives when the whole model runs on the given input
(captured with `experimental_preserve_all_tensors`). The models are invoked in round-robin, the
whole model among them, so drift and heat hit every operator alike; each figure is the median
over the rounds. The sum of the operators exceeds the whole model's time by what XNNPACK saves
by running a partition of them as one graph; the ratio is part of the result.

    profile = time_operators(Path("model_int8.tflite"), threads=1)
    profile.ops[3].ms, profile.ops[3].names, profile.whole_ms
"""
from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import flatbuffers
import numpy as np

from har_device.core.errors import BadInput
from har_device.core.litert import load_interpreter
from har_device.core.quiet import stderr_silenced

try:
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - devices with tflite_runtime alone cannot cut models
    schema = None


@dataclass(frozen=True)
class OpTime:
    """One operator: its position in the model, builtin name, the names of its output tensors
    and its weights (where the converter records the Keras layers it came from), and its
    median time in milliseconds."""

    index: int
    op: str
    names: tuple[str, ...]
    ms: float


@dataclass(frozen=True)
class OpProfile:
    path: Path
    threads: int
    rounds: int
    whole_ms: float
    ops: tuple[OpTime, ...]

    @property
    def sum_ms(self) -> float:
        return float(sum(op.ms for op in self.ops))


def time_operators(path: Path, threads: int = 1, rounds: int = 30,
                   sample: np.ndarray | None = None, seed: int = 0) -> OpProfile:
    """Time each operator of the model at `path` alone (see the module doc). `sample`: one input
    in the model's dtype and shape (else uniform random over the input's range)."""
    if schema is None:
        raise BadInput("per-operator timing needs ai-edge-litert (tflite_runtime cannot cut "
                       "a model into operators)")
    content = Path(path).read_bytes()
    whole = load_interpreter(Path(path), threads)
    feed = sample if sample is not None else _random_input(whole.get_input_details()[0], seed)
    values = _all_tensors(content, feed)
    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    runners = [_single_op(model, index, values, threads)
               for index in range(len(model.subgraphs[0].operators))]
    whole_input = whole.get_input_details()[0]["index"]
    whole_run = (whole, [(whole_input, feed)])
    times = _round_robin([whole_run, *[(r.interpreter, r.feeds) for r in runners]], rounds)
    ops = tuple(OpTime(r.index, r.op, r.names, float(np.median(t)))
                for r, t in zip(runners, times[1:]))
    return OpProfile(Path(path), threads, rounds, float(np.median(times[0])), ops)


@dataclass(frozen=True)
class _Runner:
    index: int
    op: str
    names: tuple[str, ...]
    interpreter: Interpreter
    feeds: list[tuple[int, np.ndarray]]


def _random_input(detail: dict, seed: int) -> np.ndarray:
    rng, dtype = np.random.default_rng(seed), np.dtype(detail["dtype"])
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max + 1, detail["shape"], dtype=dtype)
    return rng.random(detail["shape"]).astype(dtype)


def _all_tensors(content: bytes, feed: np.ndarray) -> dict[int, np.ndarray]:
    """Every tensor of the first subgraph after one run of the whole model on `feed`, without
    delegates (so intermediate tensors are kept)."""
    with stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "intended for debugging": it is
        interpreter = Interpreter(model_content=content, experimental_preserve_all_tensors=True)
        interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], feed)
    interpreter.reset_all_variables()
    interpreter.invoke()
    values = {}
    for detail in interpreter.get_tensor_details():
        try:
            values[detail["index"]] = interpreter.get_tensor(detail["index"]).copy()
        except ValueError:  # a tensor without data (optional, or freed by the runtime)
            continue
    return values


def _single_op(model, index: int, values: dict[int, np.ndarray], threads: int) -> _Runner:
    """Operator `index` of the first subgraph as a model of its own: its tensors renumbered,
    the non-constant, non-variable inputs as the model's inputs, fed their captured values."""
    graph = model.subgraphs[0]
    op = graph.operators[index]
    inputs, outputs = _ints(op.inputs), _ints(op.outputs)
    used = [t for t in [*inputs, *outputs, *_ints(op.intermediates)] if t >= 0]
    order = list(dict.fromkeys(used))
    renumber = {old: new for new, old in enumerate(order)}
    tensors = [graph.tensors[t] for t in order]
    feeds = [t for t in dict.fromkeys(i for i in inputs if i >= 0)
             if not _constant(model, graph.tensors[t]) and not graph.tensors[t].isVariable]
    single = schema.SubGraphT()
    single.tensors = tensors
    single.inputs = [renumber[t] for t in feeds]
    single.outputs = [renumber[t] for t in outputs if t >= 0]
    single.operators = [_renumbered(op, renumber)]
    single.name = f"op{index}"
    cut = schema.ModelT()
    cut.version, cut.operatorCodes, cut.buffers = model.version, model.operatorCodes, model.buffers
    cut.subgraphs = [single, *model.subgraphs[1:]]
    cut.description = model.description
    builder = flatbuffers.Builder(1024)
    builder.Finish(cut.Pack(builder), file_identifier=b"TFL3")
    interpreter = _load(bytes(builder.Output()), threads)
    details = interpreter.get_input_details()
    code = model.operatorCodes[op.opcodeIndex]
    name = _builtin_name(max(code.builtinCode, code.deprecatedBuiltinCode))
    labels = tuple(_decode(graph.tensors[t].name) for t in dict.fromkeys([*outputs, *used]))
    return _Runner(index, name, labels, interpreter,
                   [(d["index"], values[t]) for d, t in zip(details, feeds)])


def _renumbered(original, renumber: dict[int, int]):
    op = copy.copy(original)
    op.inputs = [renumber[t] if t >= 0 else t for t in _ints(original.inputs)]
    op.outputs = [renumber[t] for t in _ints(original.outputs)]
    if original.intermediates is not None:
        op.intermediates = [renumber[t] for t in _ints(original.intermediates)]
    return op


def _ints(array) -> list[int]:
    """The object API's index arrays (numpy, or None when absent) as a list."""
    return [] if array is None else [int(t) for t in array]


def _constant(model, tensor) -> bool:
    data = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
    return data is not None and len(data) > 0


def _load(content: bytes, threads: int) -> Interpreter:
    with stderr_silenced():
        interpreter = Interpreter(model_content=content, num_threads=threads)
        interpreter.allocate_tensors()
    return interpreter


def _round_robin(runs: list[tuple[Interpreter, list[tuple[int, np.ndarray]]]],
                 rounds: int) -> list[list[float]]:
    """Milliseconds of each run per round, one invoke of each in turn (after one warm-up)."""
    times: list[list[float]] = [[] for _ in runs]
    for round_index in range(rounds + 1):
        for spent, (interpreter, feeds) in zip(times, runs):
            for tensor, value in feeds:
                interpreter.set_tensor(tensor, value)
            interpreter.reset_all_variables()
            started = time.perf_counter()
            interpreter.invoke()
            if round_index:
                spent.append((time.perf_counter() - started) * 1000.0)
    return times


def _builtin_name(code: int) -> str:
    names = {value: key for key, value in vars(schema.BuiltinOperator).items()
             if not key.startswith("_")}
    return names.get(code, f"OP_{code}")


def _decode(name: bytes | str | None) -> str:
    return name.decode() if isinstance(name, bytes) else (name or "")
