"""The environment variables that `import tf_electra` sets for TensorFlow, recorded so that a process which must
run as if tf_electra had never been imported (a benchmark's peer, a stand-in for TF Serving) can start without them.

Processes inherit os.environ: without this, every process started from one that imported tf_electra would get
our allocator choice (`allocator.py`) and, with TF_ELECTRA_XLA=elementwise, our XLA flags (`graph_rewrites.py`).
The record travels to child processes too (in RECORD_ENV), so a process started from one that imported tf_electra
(a benchmark driver started by a test, a notebook's subprocess) still tells our values from the user's.
"""

import json
import os

RECORD_ENV = "TF_ELECTRA_ENV_SET"  # the record, for child processes: {name: [our value, the value before or null]}
_chosen = {}  # {name: (the value we set, the value before or None)}, for os.environ only


def _inherit():
    """Takes the record that a parent process passed down, for each value of ours still in place (unreadable: none)."""
    try:
        record = json.loads(os.environ.get(RECORD_ENV) or "{}")
        entries = [(str(k), v[0], v[1]) for k, v in record.items()]
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        return
    for name, ours, before in entries:
        if isinstance(ours, str) and (before is None or isinstance(before, str)) and os.environ.get(name) == ours:
            _chosen[name] = (ours, before)


def choose(name, value, environ=None):
    """Sets `name` to `value` in `environ` (os.environ by default), recording it when it is os.environ."""
    environ = os.environ if environ is None else environ
    before = environ.get(name)
    environ[name] = value
    if environ is os.environ and before != value:
        # Ours replaced again: the value before it stays the user's. Changed by the user since: theirs is now it.
        ours_before = name in _chosen and before == _chosen[name][0]
        _chosen[name] = (value, _chosen[name][1] if ours_before else before)
        environ[RECORD_ENV] = json.dumps(_chosen)


def without_our_choice(environ):
    """A copy of `environ` (this process's: processes inherit it) with each value that `choose` set put back as it
    was before, and without the record; a value changed since (by the user) is kept."""
    environ = dict(environ)
    environ.pop(RECORD_ENV, None)
    for name, (ours, before) in _chosen.items():
        if environ.get(name) == ours:
            if before is None:
                del environ[name]
            else:
                environ[name] = before
    return environ


_inherit()
