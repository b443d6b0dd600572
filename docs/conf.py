"""Sphinx configuration of the sksynth documentation (``make docs``)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SKSYNTH_EXAMPLE_EPOCHS", "1")

import sksynth  # noqa: E402

project = "sksynth"
author = "the sksynth developers"
copyright = "2026, the sksynth developers"  # noqa: A001
release = version = sksynth.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**.zip"]
autosummary_generate = True
templates_path = ["_templates"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_default_options = {"members": True, "inherited-members": False}
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # the examples run in `make test` (with 1 epoch); the site shows their code
    "plot_gallery": "False",
    "download_all_examples": False,
    "filename_pattern": r"/.*\.py",
}

# no intersphinx: the site builds without network access

html_theme = "pydata_sphinx_theme"
html_title = "sksynth"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
}


def _skip_request_methods(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` metadata-routing methods."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_request_methods)
