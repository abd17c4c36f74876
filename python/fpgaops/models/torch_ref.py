"""Hand-written PyTorch equivalents of the zoo (torchvision's definitions, same module names so
``state_dict()`` keys match the zoo's initializer names). Used by the tests to verify the ONNX
graphs and by benchmarks/bench_nets.py as the PyTorch peer; needs torch (never imported by
``import fpgaops``).

    m = fpgaops.models.torch_ref.build("resnet18")        # torch.nn.Module, eval mode
    m.load_state_dict(...)                                 # or fpgaops-zoo weights: from_zoo()
"""
import torch
from torch import nn

from ._onnx_builder import make_divisible


def _cna(cin, cout, k, stride=1, groups=1, act=nn.ReLU, eps=1e-5):
    """Conv2dNormActivation: .0 conv, .1 BN, .2 activation."""
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=eps)]
    if act is not None:
        layers.append(act(inplace=True) if act in (nn.ReLU, nn.ReLU6, nn.Hardswish) else act())
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make(block, 64, layers[0], 1)
        self.layer2 = self._make(block, 128, layers[1], 2)
        self.layer3 = self._make(block, 256, layers[2], 2)
        self.layer4 = self._make(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make(self, block, planes, n, stride):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, n)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class InvertedResidualV2(nn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if t != 1:
            layers.append(_cna(inp, hidden, 1, act=nn.ReLU6))
        layers += [_cna(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0):
        super().__init__()
        from .mobilenet import V2_SETTINGS
        cin = make_divisible(32 * width_mult, 8)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), 8)
        features = [_cna(3, cin, 3, 2, act=nn.ReLU6)]
        for t, c, n, s in V2_SETTINGS:
            cout = make_divisible(c * width_mult, 8)
            for i in range(n):
                features.append(InvertedResidualV2(cin, cout, s if i == 0 else 1, t))
                cin = cout
        features.append(_cna(cin, self.last_channel, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.last_channel, num_classes))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class SqueezeExcitation(nn.Module):
    def __init__(self, cin, sq):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(cin, sq, 1)
        self.fc2 = nn.Conv2d(sq, cin, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x):
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return s * x


class InvertedResidualV3(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        a = nn.Hardswish if act == "HS" else nn.ReLU
        layers = []
        if exp != cin:
            layers.append(_cna(cin, exp, 1, act=a, eps=0.001))
        layers.append(_cna(exp, exp, k, stride, groups=exp, act=a, eps=0.001))
        if se:
            layers.append(SqueezeExcitation(exp, make_divisible(exp // 4, 8)))
        layers.append(_cna(exp, cout, 1, act=None, eps=0.001))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        r = self.block(x)
        return r + x if self.use_res_connect else r


class MobileNetV3(nn.Module):
    def __init__(self, conf, last_channel, num_classes=1000, width_mult=1.0):
        super().__init__()
        adj = lambda c: make_divisible(c * width_mult, 8)
        layers = [_cna(3, adj(16), 3, 2, act=nn.Hardswish, eps=0.001)]
        for cin, k, exp, cout, se, act, stride in conf:
            layers.append(InvertedResidualV3(adj(cin), k, adj(exp), adj(cout), se, act, stride))
        lin = adj(conf[-1][3])
        layers.append(_cna(lin, 6 * lin, 1, act=nn.Hardswish, eps=0.001))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(6 * lin, last_channel), nn.Hardswish(inplace=True),
                                        nn.Dropout(0.2, inplace=True), nn.Linear(last_channel, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def build(name, num_classes=1000):
    """The torchvision-equivalent module for a zoo name (random torch init, eval mode)."""
    from .mobilenet import V3_LARGE, V3_SMALL
    m = {"resnet18": lambda: ResNet(BasicBlock, [2, 2, 2, 2], num_classes),
         "resnet34": lambda: ResNet(BasicBlock, [3, 4, 6, 3], num_classes),
         "resnet50": lambda: ResNet(Bottleneck, [3, 4, 6, 3], num_classes),
         "mobilenet_v2": lambda: MobileNetV2(num_classes),
         "mobilenet_v3_small": lambda: MobileNetV3(V3_SMALL, make_divisible(1024, 8), num_classes),
         "mobilenet_v3_large": lambda: MobileNetV3(V3_LARGE, make_divisible(1280, 8), num_classes)}[name]()
    return m.eval()


def from_zoo(name, num_classes=1000, seed=0, weights=None):
    """The torch module carrying exactly the zoo model's weights (seeded random unless ``weights``)."""
    from onnx import numpy_helper

    from . import build_onnx
    proto = build_onnx(name, weights, num_classes, seed)
    m = build(name, num_classes)
    sd = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in proto.graph.initializer
          if not t.name.startswith("const:")}
    missing, unexpected = m.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise KeyError(f"zoo graph and torch module disagree: missing {missing}, unexpected {unexpected}")
    return m.eval()
