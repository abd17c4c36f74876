"""MobileNetV2 and MobileNetV3 (small/large) exactly as torchvision.models builds them (channel
configs, _make_divisible, SE blocks with hardsigmoid, hardswish, BN eps 1e-3 in V3), as ONNX
graphs whose initializers carry the state-dict key names."""
from ._onnx_builder import Builder, make_divisible

PROJ_GAMMA = 0.3  # random init: the projection BN of residual blocks (see resnet.RESIDUAL_GAMMA)
# random init: SE fc2 bias mean, so hardsigmoid starts near 1 and the SE gates do not halve the
# signal in every block (with zero bias a random net's logits shrink ~100x through V3-small)
SE_BIAS = 2.0

V2_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1)]


def mobilenet_v2_onnx(num_classes=1000, width_mult=1.0, seed=0):
    b = Builder("mobilenet_v2", seed)
    cin = make_divisible(32 * width_mult, 8)
    last = make_divisible(1280 * max(1.0, width_mult), 8)
    x = b.conv_bn_act("input", "features.0", 3, cin, 3, 2, act="relu6")
    idx = 1
    for t, c, n, s in V2_SETTINGS:
        cout = make_divisible(c * width_mult, 8)
        for i in range(n):
            stride = s if i == 0 else 1
            key = f"features.{idx}.conv"
            hidden = int(round(cin * t))
            res = stride == 1 and cin == cout
            y, j = x, 0
            if t != 1:
                y = b.conv_bn_act(y, f"{key}.{j}", cin, hidden, 1, act="relu6")
                j += 1
            y = b.conv_bn_act(y, f"{key}.{j}", hidden, hidden, 3, stride, groups=hidden, act="relu6")
            y = b.conv(y, f"{key}.{j + 1}", hidden, cout, 1)
            y = b.bn(y, f"{key}.{j + 2}", cout, gamma_scale=PROJ_GAMMA if res else 1.0)
            x = b.add(x, y, f"features.{idx}.add") if res else y
            cin = cout
            idx += 1
    x = b.conv_bn_act(x, f"features.{idx}", cin, last, 1, act="relu6")
    x = b.flatten(b.gap(x, "avgpool"), "flatten")
    x = b.linear(x, "classifier.1", last, num_classes)
    return b.model("input", x, num_classes=num_classes)


# (input, kernel, expanded, out, use_se, activation, stride) -- torchvision's bneck_conf, dilation 1
V3_SMALL = [(16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2), (24, 3, 88, 24, False, "RE", 1),
            (24, 5, 96, 40, True, "HS", 2), (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
            (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1), (48, 5, 288, 96, True, "HS", 2),
            (96, 5, 576, 96, True, "HS", 1), (96, 5, 576, 96, True, "HS", 1)]
V3_LARGE = [(16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2), (24, 3, 72, 24, False, "RE", 1),
            (24, 5, 72, 40, True, "RE", 2), (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
            (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
            (80, 3, 184, 80, False, "HS", 1), (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
            (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1), (160, 5, 960, 160, True, "HS", 1)]


def _mobilenet_v3(name, conf, last_channel, num_classes, width_mult, seed):
    adj = lambda c: make_divisible(c * width_mult, 8)
    b = Builder(name, seed)
    eps = 0.001
    first = adj(16)
    x = b.conv_bn_act("input", "features.0", 3, first, 3, 2, act="hardswish", eps=eps)
    for idx, (cin, k, exp, cout, se, a, stride) in enumerate(conf, start=1):
        cin, exp, cout = adj(cin), adj(exp), adj(cout)
        act = "relu" if a == "RE" else "hardswish"
        key = f"features.{idx}.block"
        res = stride == 1 and cin == cout
        y, j = x, 0
        if exp != cin:
            y = b.conv_bn_act(y, f"{key}.{j}", cin, exp, 1, act=act, eps=eps)
            j += 1
        y = b.conv_bn_act(y, f"{key}.{j}", exp, exp, k, stride, groups=exp, act=act, eps=eps)
        j += 1
        if se:
            sq = make_divisible(exp // 4, 8)
            s = b.gap(y, f"{key}.{j}.avgpool")
            s = b.relu(b.conv(s, f"{key}.{j}.fc1", exp, sq, 1, bias=True), f"{key}.{j}.relu")
            s = b.hardsigmoid(b.conv(s, f"{key}.{j}.fc2", sq, exp, 1, bias=True, bias_mean=SE_BIAS), f"{key}.{j}.hardsigmoid")
            y = b.mul(s, y, f"{key}.{j}.scale")
            j += 1
        y = b.conv_bn_act(y, f"{key}.{j}", exp, cout, 1, act=None, eps=eps, gamma_scale=PROJ_GAMMA if res else 1.0)
        x = b.add(y, x, f"features.{idx}.add") if res else y
    lin = adj(conf[-1][3])
    lout = 6 * lin
    x = b.conv_bn_act(x, f"features.{len(conf) + 1}", lin, lout, 1, act="hardswish", eps=eps)
    x = b.flatten(b.gap(x, "avgpool"), "flatten")
    x = b.hardswish(b.linear(x, "classifier.0", lout, last_channel), "classifier.1")
    x = b.linear(x, "classifier.3", last_channel, num_classes)
    return b.model("input", x, num_classes=num_classes)


def mobilenet_v3_small_onnx(num_classes=1000, width_mult=1.0, seed=0):
    return _mobilenet_v3("mobilenet_v3_small", V3_SMALL, make_divisible(1024 * width_mult, 8), num_classes,
                         width_mult, seed)


def mobilenet_v3_large_onnx(num_classes=1000, width_mult=1.0, seed=0):
    return _mobilenet_v3("mobilenet_v3_large", V3_LARGE, make_divisible(1280 * width_mult, 8), num_classes,
                         width_mult, seed)
