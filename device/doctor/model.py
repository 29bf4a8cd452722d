"""The model side: LiteRT runs a model on XNNPACK here, and the bundle is what was converted."""
from __future__ import annotations

from importlib import metadata

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.tools import flatbuffer_utils

from har_device.core.bundle import load_bundle
from har_device.core.errors import BadInput
from har_device.doctor.report import Result, Status, Target

DELEGATE_NODE = "DELEGATE"
LITERT_FIX = "pip install --force-reinstall 'ai-edge-litert>=2.3,<2.4'"


def _tensor(shape: tuple[int, ...], buffer: int, name: str) -> schema.TensorT:
    tensor = schema.TensorT()
    tensor.shape, tensor.type, tensor.buffer, tensor.name = (
        list(shape), schema.TensorType.FLOAT32, buffer, name)
    return tensor


def probe_model() -> bytes:
    """A 400-byte model built here, not shipped: y = x · onesᵀ, one FULLY_CONNECTED of 4 → 2,
    an operator XNNPACK always takes."""
    weights = schema.BufferT()
    weights.data = np.ones((2, 4), np.float32).tobytes()
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1, -1], [2]
    graph = schema.SubGraphT()
    graph.tensors = [_tensor((1, 4), 0, "x"), _tensor((2, 4), 1, "w"), _tensor((1, 2), 0, "y")]
    graph.inputs, graph.outputs, graph.operators = [0], [2], [op]
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.FULLY_CONNECTED
    code.version = 1
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs = 3, [code], [graph]
    model.buffers = [schema.BufferT(), weights]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def litert_xnnpack(target: Target) -> Result:
    """LiteRT loads and runs the probe model, with XNNPACK taking its operator."""
    version = metadata.version("ai-edge-litert")
    interpreter = Interpreter(model_content=probe_model())
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                           np.arange(4, dtype=np.float32)[None])
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    if not np.allclose(output, [[6.0, 6.0]]):
        return Result("litert", Status.FAIL, f"ai-edge-litert {version} computed {output.tolist()} "
                                             "instead of [[6, 6]]", LITERT_FIX)
    nodes = [node["op_name"] for node in interpreter._get_ops_details()]
    if DELEGATE_NODE not in nodes:
        return Result("litert", Status.WARN, f"ai-edge-litert {version} runs without XNNPACK "
                                             "(reference kernels: several times slower)", LITERT_FIX)
    return Result("litert", Status.OK, f"ai-edge-litert {version}, XNNPACK delegate")


def bundle_hashes(target: Target) -> Result:
    """The bundle's files match the sha256 in its har_model.json (a bare .tflite has none)."""
    bundle = target.config.bundle if target.config else None
    if bundle is None:
        return Result("bundle", Status.SKIP, "no --bundle or --config given")
    if bundle.is_file():
        return Result("bundle", Status.SKIP, f"{bundle}: a bare .tflite carries no hashes")
    try:
        meta = load_bundle(bundle)
    except BadInput as error:
        return Result("bundle", Status.FAIL, str(error),
                      "copy the whole bundle folder again from the machine that converted it")
    return Result("bundle", Status.OK, f"{meta.name}: {len(meta.files)} files match their sha256")
