"""A tiny ONNX graph builder for the model zoo (onnx.helper underneath; no torch).

Initializers are named exactly like the torchvision state-dict keys, BatchNormalization is kept
as its own node (the runner folds it), so a torchvision state dict maps 1:1 onto the graph.
"""
import numpy as np

OPSET = 17


def make_divisible(v, divisor=8, min_value=None):
    """torchvision's _make_divisible (from the original TensorFlow MobileNet code)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Builder:
    def __init__(self, name, seed=0):
        self.name = name
        self.nodes, self.params, self.order = [], {}, []
        self.rng = np.random.default_rng(seed)
        self._k = 0

    def _out(self, hint):
        self._k += 1
        return f"{hint}:{self._k}" if hint else f"t{self._k}"

    def param(self, key, value):
        self.params[key] = np.ascontiguousarray(value, dtype=np.float32)
        self.order.append(key)
        return key

    def node(self, op, inputs, name, **attrs):
        from onnx import helper

        out = self._out(name)
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    # -- layers (torchvision semantics) --
    def conv(self, x, key, cin, cout, k, stride=1, padding=None, groups=1, bias=False, dilation=1, bias_mean=0.0):
        if padding is None:
            padding = (k - 1) // 2 * dilation
        fan_in = cin // groups * k * k
        w = self.param(f"{key}.weight", self.rng.standard_normal((cout, cin // groups, k, k), dtype=np.float32)
                       * np.float32(np.sqrt(2.0 / fan_in)))
        ins = [x, w]
        if bias:
            ins.append(self.param(f"{key}.bias", bias_mean + self.rng.standard_normal(cout) * 0.01))
        return self.node("Conv", ins, key, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[padding] * 4, group=groups, dilations=[dilation, dilation])

    def bn(self, x, key, c, eps=1e-5, gamma_scale=1.0):
        r = self.rng
        ins = [x, self.param(f"{key}.weight", gamma_scale * r.uniform(0.9, 1.1, c)),
               self.param(f"{key}.bias", r.normal(0, 0.05, c)),
               self.param(f"{key}.running_mean", r.normal(0, 0.05, c)),
               self.param(f"{key}.running_var", r.uniform(0.9, 1.1, c))]
        return self.node("BatchNormalization", ins, key, epsilon=eps)

    def const(self, name, value):
        return self.param(name, value)  # (not a state-dict key; see model_to_state_keys)

    def relu(self, x, name):
        return self.node("Relu", [x], name)

    def relu6(self, x, name):
        return self.node("Clip", [x, "const:zero", "const:six"], name)

    def hardswish(self, x, name):
        return self.node("HardSwish", [x], name)

    def hardsigmoid(self, x, name):
        return self.node("HardSigmoid", [x], name, alpha=1.0 / 6, beta=0.5)

    def act(self, x, kind, name):
        return {"relu": self.relu, "relu6": self.relu6, "hardswish": self.hardswish,
                "hardsigmoid": self.hardsigmoid}[kind](x, name) if kind else x

    def add(self, a, b, name):
        return self.node("Add", [a, b], name)

    def mul(self, a, b, name):
        return self.node("Mul", [a, b], name)

    def maxpool(self, x, name, k=3, s=2, p=1):
        return self.node("MaxPool", [x], name, kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)

    def gap(self, x, name):
        return self.node("GlobalAveragePool", [x], name)

    def flatten(self, x, name):
        return self.node("Flatten", [x], name, axis=1)

    def linear(self, x, key, fin, fout):
        w = self.param(f"{key}.weight", self.rng.standard_normal((fout, fin), dtype=np.float32)
                       * np.float32(1 / np.sqrt(fin)))
        b = self.param(f"{key}.bias", np.zeros(fout))
        return self.node("Gemm", [x, w, b], key, transB=1)

    def conv_bn_act(self, x, key, cin, cout, k, stride=1, groups=1, act="relu", eps=1e-5, gamma_scale=1.0):
        """torchvision's Conv2dNormActivation: key.0 conv (no bias), key.1 BN, activation."""
        y = self.conv(x, f"{key}.0", cin, cout, k, stride, groups=groups)
        y = self.bn(y, f"{key}.1", cout, eps, gamma_scale)
        return self.act(y, act, f"{key}.act")

    def model(self, x_in, y, in_channels=3, num_classes=1000, weights=None):
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        uses = {i for n in self.nodes for i in n.input}
        consts = {"const:zero": np.float32(0), "const:six": np.float32(6)}
        inits = [numpy_helper.from_array(self.params[k], k) for k in self.order]
        inits += [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in consts.items() if k in uses]
        self.nodes[-1].output[0] = "logits"
        inp = helper.make_tensor_value_info(x_in, TensorProto.FLOAT, ["N", in_channels, "H", "W"])
        out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", num_classes])
        g = helper.make_graph(self.nodes, self.name, [inp], [out], inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="fpgaops.models",
                              ir_version=8)
        helper.set_model_props(m, {"fpgaops.default_input_shape": f"1,{in_channels},224,224"})
        return m
