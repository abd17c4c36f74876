"""A small CNN with residual and depthwise-separable blocks, trained on scikit-learn's bundled
digits data set (1797 8x8 images, no download). Shared by the accuracy test and the CLI test."""
import numpy as np


def load_digits_split(seed=0):
    """(x_train, y_train, x_calib, y_calib, x_test, y_test), images as (N, 1, 8, 8) float32 in [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(x))
    tr, ca, te = idx[:1100], idx[1100:1300], idx[1300:]
    return x[tr], y[tr], x[ca], y[ca], x[te], y[te]


def build(torch):
    nn = torch.nn

    class Residual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            y = torch.relu(self.b1(self.c1(x)))
            return torch.relu(self.b2(self.c2(y)) + x)

    class DepthwiseSeparable(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.dw, self.b1 = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin)
            self.pw, self.b2 = nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout)

        def forward(self, x):
            return torch.relu(self.b2(self.pw(torch.nn.functional.relu6(self.b1(self.dw(x))))))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
            self.res = Residual(16)
            self.ds = DepthwiseSeparable(16, 32, 2)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            x = self.ds(self.res(self.stem(x)))
            return self.fc(torch.flatten(self.pool(x), 1))

    return Net()


def train(torch, x, y, epochs=8, seed=0):
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    model = build(torch)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[b]), yt[b])
            loss.backward()
            opt.step()
    return model.eval()
