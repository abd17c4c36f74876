"""The tensor codec on its own: binary round trip, any array layout."""
import json

import numpy as np

from fpgaops.serve.protocol import HEADER, decode_request, encode_response


def test_binary_round_trip_of_a_non_contiguous_output():
    a = np.arange(24, dtype=np.float32).reshape(4, 6).T  # Fortran-ordered view: bytes must be C order
    body, headers = encode_response("m", 1, ["out"], [a], {"parameters": {"binary_data_output": True}}, [])
    hl = int(headers[HEADER])
    entry = json.loads(body[:hl])["outputs"][0]
    assert entry["shape"] == [6, 4] and entry["parameters"]["binary_data_size"] == a.nbytes
    np.testing.assert_array_equal(np.frombuffer(body[hl:], np.float32).reshape(6, 4), a)
    # and back in as a request: a C-contiguous array equal to the input
    head = json.dumps({"inputs": [{"name": "x", "shape": [6, 4], "datatype": "FP32",
                                   "parameters": {"binary_data_size": a.nbytes}}]}).encode()
    _, arrays, _ = decode_request(head + body[hl:], str(len(head)))
    assert arrays["x"].flags.c_contiguous
    np.testing.assert_array_equal(arrays["x"], a)
