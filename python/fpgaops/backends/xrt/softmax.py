"""xrt launcher for SoftmaxCall: the fpgaops_softmax_f32 kernel (arguments by name)."""


def run(backend, call):
    backend.launch_call("fpgaops_softmax_f32", call)
