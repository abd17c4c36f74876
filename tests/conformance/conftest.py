"""The conformance tests reuse the importer tests' model helpers (tests/graph/graph_helpers.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "graph"))
