"""Runs the package's pytest suite for `meson test python`: exits 77 (meson's "skipped")
when numpy or pytest is missing from this Python, else pytest's own status. No cache or
bytecode is written into the source tree."""
import os
import sys

sys.dont_write_bytecode = True
try:
    import numpy  # noqa: F401
    import pytest
except ImportError as e:
    print("skipping the Python tests: %s (install numpy and pytest for %s)" % (e, sys.executable))
    sys.exit(77)

here = os.path.dirname(os.path.abspath(__file__))
sys.exit(pytest.main(["-p", "no:cacheprovider", "-rs", here] + sys.argv[1:]))
