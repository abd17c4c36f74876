"""ResNet-18/34/50 exactly as torchvision.models.resnet builds them (v1.5: the stride sits on the
3x3 conv of a Bottleneck), as ONNX graphs whose initializers carry the state-dict key names."""
from ._onnx_builder import Builder

# random init: the last BN of every residual branch gets gamma * RESIDUAL_GAMMA so the variance
# added per block stays small and activations remain O(1) through 16 blocks (the spirit of
# torchvision's zero_init_residual option, without making the branches vanish).
RESIDUAL_GAMMA = 0.3


def _basic(b, x, key, cin, planes, stride):
    y = b.relu(b.bn(b.conv(x, f"{key}.conv1", cin, planes, 3, stride), f"{key}.bn1", planes), f"{key}.relu1")
    y = b.bn(b.conv(y, f"{key}.conv2", planes, planes, 3), f"{key}.bn2", planes, gamma_scale=RESIDUAL_GAMMA)
    return y, planes


def _bottleneck(b, x, key, cin, planes, stride):
    out = planes * 4
    y = b.relu(b.bn(b.conv(x, f"{key}.conv1", cin, planes, 1), f"{key}.bn1", planes), f"{key}.relu1")
    y = b.relu(b.bn(b.conv(y, f"{key}.conv2", planes, planes, 3, stride), f"{key}.bn2", planes), f"{key}.relu2")
    y = b.bn(b.conv(y, f"{key}.conv3", planes, out, 1), f"{key}.bn3", out, gamma_scale=RESIDUAL_GAMMA)
    return y, out


def _resnet(name, block, layers, expansion, num_classes, seed):
    b = Builder(name, seed)
    x = b.conv("input", "conv1", 3, 64, 7, 2, 3)
    x = b.maxpool(b.relu(b.bn(x, "bn1", 64), "relu"), "maxpool")
    cin = 64
    for li, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
        for bi in range(n):
            stride = 2 if (li > 0 and bi == 0) else 1
            key = f"layer{li + 1}.{bi}"
            y, cout = block(b, x, key, cin, planes, stride)
            skip = x
            if stride != 1 or cin != planes * expansion:
                skip = b.bn(b.conv(x, f"{key}.downsample.0", cin, planes * expansion, 1, stride),
                            f"{key}.downsample.1", planes * expansion)
            x = b.relu(b.add(y, skip, f"{key}.add"), f"{key}.relu")
            cin = cout
    x = b.flatten(b.gap(x, "avgpool"), "flatten")
    x = b.linear(x, "fc", 512 * expansion, num_classes)
    return b.model("input", x, num_classes=num_classes)


def resnet18_onnx(num_classes=1000, seed=0):
    return _resnet("resnet18", _basic, (2, 2, 2, 2), 1, num_classes, seed)


def resnet34_onnx(num_classes=1000, seed=0):
    return _resnet("resnet34", _basic, (3, 4, 6, 3), 1, num_classes, seed)


def resnet50_onnx(num_classes=1000, seed=0):
    return _resnet("resnet50", _bottleneck, (3, 4, 6, 3), 4, num_classes, seed)
