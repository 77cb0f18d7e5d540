"""pytest set-up for nanobragg_cl: the package from this source tree (python/) when it is
not installed or on PYTHONPATH; the tests themselves skip without $NBCL_LIBRARY / $NBCL_BIN."""
import importlib.util
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here))                 # _support
if importlib.util.find_spec("nanobragg_cl") is None:
    sys.path.insert(0, str(here.parent))
