"""Driving the workers: interleaved timing of one case, the oneDNN kernel probe, cold starts."""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench.impls import ENV
from bench.impls import IMPL_ENV
from bench.impls import IMPLS
from tf_electra.utils import environment

HERE = os.path.dirname(os.path.abspath(__file__))
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TRANSFORMERS_VERBOSITY": "error", "PYTHONWARNINGS": "ignore"}
OWN_INSTALL = os.path.join(os.path.dirname(HERE), "own_install")
# What each framework's own install (`pip install tf_electra`; `pip install torch transformers`) lacks of this
# shared virtualenv: its cold starts run with those hidden (tools/own_install/sitecustomize.py), unless
# --cold-start-python gives that family an interpreter of its own. TensorFlow and Keras import jax, pandas,
# scikit-learn and SciPy when they are there (~2 s, 200 MB), transformers imports TensorFlow.
NOT_INSTALLED = {
    "torch": "tensorflow,keras,tf_keras,keras_hub,tensorflow_text,jax,jaxlib,sklearn,scipy,pandas,seqeval",
    "ours": "torch,transformers,tf_keras,keras_hub,tensorflow_text,jax,jaxlib,sklearn,scipy,pandas,seqeval",
}


def own_install_env(family):
    """Environment entries that make this virtualenv look like `family`'s own install."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {"PYTHONPATH": os.pathsep.join([OWN_INSTALL, *paths]), "TF_ELECTRA_HIDDEN_PACKAGES": NOT_INSTALLED[family]}


def inherited_env(family):
    """This process's environment as `family`'s processes start with it: a peer's without the allocator choice and XLA
    flags that importing tf_electra made here (peers run as they ship)."""
    return os.environ if family == "ours" else environment.without_our_choice(os.environ)


def worker_env(name, extra_env=None):
    """An implementation's process environment: ours, quiet, its family's, its variant's, then `extra_env`
    (each later one wins: a frozen-weights variant turns on what its family turns off)."""
    family = IMPLS[name][0]
    return {**inherited_env(family), **QUIET_ENV, **ENV[family], **IMPL_ENV.get(name, {}), **(extra_env or {})}


class Worker:
    """One implementation's process (tools/bench/worker.py), spoken to in JSON lines."""

    def __init__(self, name, extra_env=None):
        family = IMPLS[name][0]
        env = worker_env(name, extra_env)
        self.name, self.family = name, family
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "worker.py"), family],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.other_lines = []

    def send(self, command):
        """The worker's reply, or {"error": ...} once it has exited (the run goes on with the others)."""
        try:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):  # ValueError: its stdin was closed after an earlier failure
            return {"error": f"the {self.name} worker exited (code {self.proc.wait()})"}
        for line in self.proc.stdout:
            if line.startswith("REPLY"):
                return json.loads(line[5:])
            self.other_lines.append(line.rstrip("\n"))
        return {"error": f"the {self.name} worker exited (code {self.proc.poll()})"}

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send({"op": "exit"})
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def measure_case(workers, impls, cfg, case, rounds, watch):
    """Times `impls` on one case, interleaved; returns {impl: result dict}."""
    results, active = {}, []
    for name in impls:
        command = dict(op="setup", cfg=cfg, batch=case["batch"], seq=case["seq"], task=case["task"])
        reply = workers[name].send(dict(command, variant=IMPLS[name][3]))
        if "error" in reply:
            print(f"  {name}: skipped ({reply['error']})", file=sys.stderr, flush=True)
            results[name] = {"error": reply["error"]}
            continue
        # enough calls per turn for ~0.5 s of work, so short calls still give many samples
        reply["repeat"] = int(min(20, max(1, round(0.5 / max(reply["second_s"], 1e-4)))))
        results[name] = dict(reply, times=[], foreign=[])
        active.append(name)
    pids = [workers[n].proc.pid for n in impls] + [os.getpid()]
    for r in range(rounds):
        for name in active[r % max(len(active), 1) :] + active[: r % max(len(active), 1)]:
            share = watch.wait(pids)
            reply = workers[name].send({"op": "time", "repeat": results[name]["repeat"]})
            if "error" in reply:
                results[name]["error"] = reply["error"]
                continue
            results[name]["times"] += reply["times"]
            results[name]["foreign"].append(share)
            results[name]["rss_mb"] = reply["rss_mb"]
    for name in active:
        workers[name].send({"op": "release"})
        times = results[name]["times"]
        if times:
            results[name].update(median_s=float(np.median(times)), min_s=float(min(times)))
        foreign = results[name]["foreign"]
        results[name]["busy"] = sum(s >= watch.threshold for s in foreign) > 0.1 * max(len(foreign), 1)
    return results


ONEDNN_LINE = re.compile(r"^onednn_verbose,(?:v1,)?(?:primitive,)?exec,cpu,([a-z_]+),([^,]+),[^,]*,([^,]*)")


def kernel_probe(name, cfg, batch=8, seq=128):
    """{"primitive implementation (src dtype)": calls per inference} from ONEDNN_VERBOSE, ELECTRA-Small."""
    worker = Worker(name, extra_env={"ONEDNN_VERBOSE": "1", "DNNL_VERBOSE": "1"})
    reply = worker.send(dict(op="setup", cfg=cfg, batch=batch, seq=seq, task="infer", variant=IMPLS[name][3]))
    worker.close()
    if "error" in reply:
        return {"error": reply["error"]}
    counts = collections.Counter()
    for line in worker.other_lines:
        match = ONEDNN_LINE.match(line)
        if match:
            kind, implementation, formats = match.groups()
            src = re.search(r"src:([a-z0-9]+)", formats)
            counts[f"{kind} {implementation} ({src.group(1) if src else '?'})"] += 1
    return {key: value / 2 for key, value in counts.most_common()}  # setup runs two calls


def _spawn_timed(args, family, watch, python=None):
    watch.wait()
    env = dict(inherited_env(family), **QUIET_ENV, **ENV[family], **({} if python else own_install_env(family)))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [python or sys.executable, os.path.join(HERE, "coldstart.py"), *args], stdout=out, stderr=err, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = status
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().strip()
    if status != 0:
        return {"error": stderr.splitlines()[-1] if stderr else f"exit status {status}"}
    phases = json.loads(stdout.split("PHASES", 1)[1]) if "PHASES" in stdout else {}
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024.0, "phases": phases}


def cold_starts(presets, repeats, watch, pythons=None):
    """Fresh-process start-up, alternating ours and PyTorch: Base inference from a saved folder, and
    the first training step of each preset (ours with Keras' Adam and with `create_optimizer`'s
    ElectraAdamW). Each family runs without the other's packages (NOT_INSTALLED), or with its interpreter in
    `pythons` ({"torch" | "ours": interpreter}), e.g. one whose virtualenv holds only that framework.
    Returns {case: {family: [results]}}."""
    pythons = pythons or {}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "base")
        saved = _spawn_timed(["save", folder, presets[-1]], "ours", watch)
        cases = [("infer", presets[-1], folder)] if "error" not in saved else []
        cases += [("train", preset, preset) for preset in presets]
        for mode, preset, target in cases:
            key = f"{mode} {preset}"
            families = ("ours", "recipe", "torch") if mode == "train" else ("ours", "torch")
            out[key] = {family: [] for family in families}
            print(f"# cold start: {key}", file=sys.stderr, flush=True)
            for _ in range(repeats):
                for family in families:
                    env_family = "ours" if family == "recipe" else family
                    run = _spawn_timed([mode, family, target], env_family, watch, pythons.get(env_family))
                    out[key][family].append(run)
    return out
