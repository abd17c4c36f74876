"""Public ops, one module per op family (the same stem as the kernels that run them)."""
