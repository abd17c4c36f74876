"""The NumPy golden model: one module per op family, the oracle for every test level
(pytest, the HLS testbench vectors, the reference backend). Clear, not fast."""
