"""Run at the start of every Python process the tests spawn (conftest.py puts this folder first on PYTHONPATH).

The test environment also holds the test-only oracles (PyTorch, transformers, jax, scikit-learn, SciPy, pandas,
seqeval). TensorFlow and Keras import several of them whenever they are installed (jax from
tf.lite, pandas from Keras' data adapters, scikit-learn from Keras' wrappers), about 2 s and 200 MB a process
here, none of which a user's `pip install tf_electra` has. Each name in TF_ELECTRA_TEST_HIDDEN is marked as absent
(`sys.modules[name] = None`: `import` raises ModuleNotFoundError and `importlib.util.find_spec` gives None), so
the CLI and the programs the tests run see what a user's install gives, and start as fast. A test that needs one of
them in its subprocess (the jax backend) passes TF_ELECTRA_TEST_HIDDEN without it.
"""

import os
import sys

for _name in filter(None, os.environ.get("TF_ELECTRA_TEST_HIDDEN", "").split(",")):
    sys.modules.setdefault(_name.strip(), None)
