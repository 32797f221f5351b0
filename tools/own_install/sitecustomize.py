"""Makes a shared virtualenv look like one framework's own install, for the processes started with this folder first
on PYTHONPATH (Python imports `sitecustomize` at start-up): each top-level package named in
TF_ELECTRA_HIDDEN_PACKAGES (comma-separated) is marked absent, `sys.modules[name] = None`, so `import` raises
ModuleNotFoundError and `importlib.util.find_spec` gives None, as where it is not installed.

Why: TensorFlow and Keras import several packages whenever they are installed (jax from tf.lite, pandas from Keras'
data adapters, scikit-learn and SciPy from Keras' wrappers), ~2 s and 200 MB a process on a 2-core AMD EPYC, none
of which `pip install tf_electra` brings. Used by
- tests/conftest.py: the processes the tests start (the CLI, clients, guides) see a user's install, not the
  test-only oracles (PyTorch, transformers, jax, scikit-learn, ...);
- tools/bench/runner.py: each framework's cold start runs without the other frameworks' packages.
"""

import os
import sys

for _name in os.environ.get("TF_ELECTRA_HIDDEN_PACKAGES", "").split(","):
    if _name.strip():
        sys.modules.setdefault(_name.strip(), None)
