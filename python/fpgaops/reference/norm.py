"""Golden model of layer normalization (torch.nn.functional.layer_norm, ONNX LayerNormalization):
over the last ``n`` elements of each row,

    mean = sum x / n,   var = sum (x - mean)^2 / n,   y = (x - mean) / sqrt(var + eps) * w + b

in float64, rounded once. ``tolerance`` bounds a float32 kernel's error (two-pass sums of n
float32 terms in any order, then a few roundings per element).
"""
import numpy as np

U32 = 2.0 ** -24


def layer_norm(x, n, weight=None, bias=None, eps=1e-5):
    """Normalize x (any shape whose trailing dims hold n elements) over those n elements."""
    x = np.asarray(x, np.float64)
    rows = x.reshape(-1, n)
    mean = rows.mean(axis=1, keepdims=True)
    var = ((rows - mean) ** 2).mean(axis=1, keepdims=True)
    y = (rows - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * np.asarray(weight, np.float64).reshape(-1)
    if bias is not None:
        y = y + np.asarray(bias, np.float64).reshape(-1)
    return y.reshape(x.shape).astype(np.float32)


def tolerance(x, n, weight=None, bias=None, eps=1e-5):
    """Per element: 4u (n + 16) (|x_hat| + max|x| / sd + 1) |w| + 4u |w x_hat| + 4u |y| + 1e-30,
    x_hat the exact normalized value, sd = sqrt(var + eps) of its row: the float32 mean is off by
    ~n u max|x| (any summation order), which shifts x_hat by that over sd, the variance by ~n u
    relative; then the scale, bias and store (and the reference's own rounding: 4u |y|)."""
    rows = np.asarray(x, np.float64).reshape(-1, n)
    sd = np.sqrt(rows.var(axis=1, keepdims=True) + eps)
    spread = np.abs(rows).max(axis=1, keepdims=True) / sd
    xh = layer_norm(x, n, None, None, eps).astype(np.float64).reshape(-1, n)
    w = np.abs(np.asarray(weight, np.float64).reshape(-1)) if weight is not None else 1.0
    b = np.abs(np.asarray(bias, np.float64).reshape(-1)) if bias is not None else 0.0
    t = 4 * U32 * ((n + 16) * (np.abs(xh) + spread + 1) * w + np.abs(xh) * w + (np.abs(xh) * w + b)) + 1e-30
    return t.reshape(np.shape(x))
