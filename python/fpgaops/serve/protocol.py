"""The Open Inference Protocol (KServe v2) tensor codec: JSON tensors and the binary-data extension.

A request body is JSON, or -- with the ``Inference-Header-Content-Length: N`` header -- N bytes of
JSON followed by the raw tensors of every input whose ``parameters.binary_data_size`` is set, in
input order. An output is returned as binary when the request asks for it (output parameter
``binary_data``, or request parameter ``binary_data_output``); its JSON entry then carries
``binary_data_size`` and the bytes follow the JSON header in output order.
"""
import json

import numpy as np

from ..errors import FpgaopsError

HEADER = "inference-header-content-length"
DTYPES = {"FP32": np.float32, "FP64": np.float64, "FP16": np.float16, "INT8": np.int8, "INT16": np.int16,
          "INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
          "UINT64": np.uint64, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}
ITEMSIZE = {k: np.dtype(v).itemsize for k, v in DTYPES.items()}
MAX_ELEMENTS = 1 << 26  # 64 Mi elements (256 MiB of FP32) per tensor: larger declarations are refused


class ProtocolError(FpgaopsError, ValueError):
    """A malformed inference request; ``status`` is the HTTP status to answer with."""

    def __init__(self, message, status=400):
        self.status = status
        super().__init__(message)


def _shape(inp, name):
    shape = inp.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise ProtocolError(f"input {name!r}: 'shape' must be a list of integers, got {shape!r}")
    if any(d < 0 for d in shape):
        raise ProtocolError(f"input {name!r}: negative dimension in shape {shape}")
    n = 1
    for d in shape:
        n *= d
        if n > MAX_ELEMENTS:
            raise ProtocolError(f"input {name!r}: shape {shape} declares more than {MAX_ELEMENTS} elements", 413)
    return tuple(shape), n


def decode_request(body, header_length=None):
    """(request JSON dict, {input name: C-contiguous ndarray}, [requested outputs]) from the raw body.
    Binary tensors are read-only views of ``body`` (no copy)."""
    if header_length is not None:
        try:
            hl = int(header_length)
        except ValueError:
            raise ProtocolError(f"{HEADER} must be an integer, got {header_length!r}") from None
        if not 0 < hl <= len(body):
            raise ProtocolError(f"{HEADER} is {hl} but the body has {len(body)} bytes")
        head, rest = body[:hl], memoryview(body)[hl:]
    else:
        head, rest = body, memoryview(b"")
    try:
        req = json.loads(head)
    except (ValueError, UnicodeDecodeError) as e:
        raise ProtocolError(f"the request is not valid JSON: {e}") from None
    if not isinstance(req, dict) or not isinstance(req.get("inputs"), list) or not req["inputs"]:
        raise ProtocolError("the request needs a non-empty 'inputs' list")
    arrays, offset = {}, 0
    for inp in req["inputs"]:
        if not isinstance(inp, dict) or not isinstance(inp.get("name"), str):
            raise ProtocolError("each input needs a 'name'")
        name = inp["name"]
        if name in arrays:
            raise ProtocolError(f"input {name!r} given twice")
        dt = inp.get("datatype")
        if dt not in DTYPES:
            raise ProtocolError(f"input {name!r}: unknown datatype {dt!r} (known: {', '.join(DTYPES)})")
        shape, n = _shape(inp, name)
        params = inp.get("parameters") or {}
        if not isinstance(params, dict):
            raise ProtocolError(f"input {name!r}: 'parameters' must be an object")
        size = params.get("binary_data_size")
        if size is not None:
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise ProtocolError(f"input {name!r}: binary_data_size must be a non-negative integer")
            want = n * ITEMSIZE[dt]
            if size != want:
                raise ProtocolError(f"input {name!r}: binary_data_size {size} != {want} bytes for {dt} {list(shape)}")
            if offset + size > len(rest):
                raise ProtocolError(f"input {name!r}: binary data ends at byte {offset + size}, only {len(rest)} "
                                    "binary bytes were sent")
            a = np.frombuffer(rest[offset:offset + size], dtype=DTYPES[dt]).reshape(shape)
            offset += size
        else:
            data = inp.get("data")
            if data is None:
                raise ProtocolError(f"input {name!r}: no 'data' and no binary_data_size")
            try:
                a = np.asarray(data, dtype=DTYPES[dt])
            except (ValueError, TypeError, OverflowError) as e:
                raise ProtocolError(f"input {name!r}: data is not {dt}: {e}") from None
            if a.size != n:
                raise ProtocolError(f"input {name!r}: {a.size} values for shape {list(shape)} ({n} expected)")
            a = a.reshape(shape)
        arrays[name] = a
    if offset != len(rest):
        raise ProtocolError(f"{len(rest) - offset} binary bytes after the last input")
    outs = req.get("outputs") or []
    if not isinstance(outs, list) or not all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in outs):
        raise ProtocolError("'outputs' must be a list of objects with a 'name'")
    return req, arrays, outs


def encode_response(model, version, names, arrays, req, outs, parameters=None):
    """(body bytes, extra headers). Outputs the request names binary are sent in binary."""
    rparams = req.get("parameters") or {}
    binary_all = bool(rparams.get("binary_data_output", False)) if isinstance(rparams, dict) else False
    wanted = {o["name"]: o for o in outs}
    entries, blobs = [], []
    for name, a in zip(names, arrays):
        if wanted and name not in wanted:
            continue
        e = {"name": name, "datatype": NAMES[a.dtype], "shape": list(a.shape)}
        op = (wanted.get(name) or {}).get("parameters") or {}
        if op.get("binary_data", binary_all):
            b = a.tobytes()  # C order whatever the layout
            e["parameters"] = {"binary_data_size": len(b)}
            blobs.append(b)
        else:
            e["data"] = a.ravel().tolist()
        entries.append(e)
    resp = {"model_name": model, "model_version": str(version), "outputs": entries}
    if "id" in req:
        resp["id"] = req["id"]
    if parameters:
        resp["parameters"] = parameters
    head = json.dumps(resp, separators=(",", ":")).encode()
    if not blobs:
        return head, {"content-type": "application/json"}
    return b"".join([head, *blobs]), {"content-type": "application/octet-stream", HEADER: str(len(head))}
