"""Sphinx configuration of the course book: the lessons executed, with course pages around them.

`make book` builds it into build/book (lessons in full mode); CI builds build/book-fast with
SEQ_FAST=1. Executed notebooks are cached per mode in build/, so a rebuild re-runs only the
lessons whose code changed. Everything is served from the build folder: MathJax comes from the
sphinx-mathjax-offline package, so equations render without a network.
"""

import os
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqlib import colab  # noqa: E402 (needs ROOT on the path when seqcourse is not installed)

FAST = os.environ.get("SEQ_FAST", "0").strip().lower() not in ("", "0", "false", "no")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# The kernels that execute the lessons inherit this environment: figures must be inline images
# (a Makefile's MPLBACKEND=Agg would drop them) and widgets static, since a page has no kernel.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ["SEQ_WIDGETS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

project = "seqcourse"
author = "seqcourse contributors"
copyright = "seqcourse contributors, MIT licence"  # noqa: A001 (Sphinx's name)
release = PROJECT["version"]

extensions = ["myst_nb", "sphinx-mathjax-offline"]
root_doc = "index"
exclude_patterns = ["_build", ".ipynb_checkpoints", "**/.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "build" / ("book-cache-fast" if FAST else "book-cache"))
nb_execution_timeout = 300 if FAST else 1800  # seconds per cell
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_title = "seqcourse: recurrent neural networks with Keras 3"
html_theme_options = {
    "repository_url": colab.repository_url(),
    "path_to_docs": "lessons",
    "repository_branch": "main",
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "announcement": "Built from fast-mode runs (SEQ_FAST=1): plots come from tiny data."
    if FAST
    else "",
}
html_last_updated_fmt = None
html_context = {"default_mode": "light"}
