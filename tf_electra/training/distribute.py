"""tf.distribute strategies by name, and which worker of a multi-worker run writes the outputs."""

import contextlib
import os
import socket
import subprocess
import sys
import time

from tf_electra.errors import TrainingError
from tf_electra.utils.values import loads_json

STRATEGIES = ("default", "mirrored", "multi-worker")
WORKER_TIMEOUT_ENV = "TF_ELECTRA_WORKER_TIMEOUT"
DEFAULT_WORKER_TIMEOUT = 300  # seconds for every worker of a multi-worker run to start
COORDINATED_JOBS = ("chief", "worker")  # the tasks TensorFlow's coordination service waits for


def make_strategy(name):
    """A tf.distribute strategy: default, mirrored (all local devices) or multi-worker (TF_CONFIG)."""
    import tensorflow as tf

    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return multi_worker_strategy()
    raise TrainingError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")


def is_chief(strategy):
    """Whether this process writes the outputs: always, except a worker of a multi-worker run (TF_CONFIG) that is
    not its chief. A TF_CONFIG left in the environment does not silence a run with another strategy.
    """
    if strategy != "multi-worker":
        return True
    config = loads_json(os.environ.get("TF_CONFIG", "{}") or "{}", TrainingError, "TF_CONFIG")
    task = config.get("task", {}) if isinstance(config, dict) else None
    if not isinstance(task, dict) or not isinstance(config.get("cluster", {}), dict):
        raise TrainingError('TF_CONFIG must be a JSON object whose "cluster" and "task" are objects')
    kind = task.get("type", "chief")
    if kind == "chief":
        return True
    return kind == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})


def multi_worker_strategy():
    """MultiWorkerMirroredStrategy from TF_CONFIG, started within `worker_timeout()` seconds or a clear error.

    TensorFlow's own start-up waits for an absent worker for an hour, in C++ code that holds the GIL (no Ctrl-C,
    no Python timer). Here the leader (the chief, else worker 0) first waits, in Python, until every other
    worker's address accepts a connection (each worker opens it before it looks for the leader); the others look
    for the leader for twice the time (the leader may itself wait that long for a late worker). Should TensorFlow's
    start-up still not end (an address held by something that is not this run's worker), a watchdog process
    prints one line and ends this one."""
    import tensorflow as tf

    timeout = worker_timeout()
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    tasks = _tasks(resolver.cluster_spec().as_dict())
    me = (resolver.task_type, resolver.task_id)
    leader = ("chief", 0) if ("chief", 0) in tasks else ("worker", 0)
    if me not in tasks or leader not in tasks:
        return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    others = ", ".join(f"{_name(task)} at {address}" for task, address in sorted(tasks.items()) if task != me)
    _limit_registration(tasks, leader, timeout * (1 if me == leader else 2))
    if me == leader:
        wait_for_workers({task: address for task, address in tasks.items() if task != me}, timeout)
    stuck = (
        f"error: multi-worker start-up: TensorFlow's start-up did not end within {timeout} s although every worker's "
        f"address answered ({others}): is one held by a program that is not a worker of this run?"
    )
    try:
        with watchdog(timeout + (0 if me == leader else 2 * timeout + 30), stuck):
            return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
    except tf.errors.DeadlineExceededError:
        raise TrainingError(
            f"multi-worker start-up: this worker could not register with the leader, {_name(leader)} at "
            f"{tasks[leader]}, within {2 * timeout} s: the leader, or a worker it waits for, has not started; start "
            f"every worker of TF_CONFIG's cluster within {WORKER_TIMEOUT_ENV} ({timeout} s) of each other"
        ) from None


def check_same_start(strategy, step, variables, output):
    """Under a multi-worker strategy, TrainingError on every worker unless all start from the same step and
    weights: each restores from its own --output, and a worker whose folder is not the chief's (another path, not
    shared) would train other weights than the rest, silently."""
    import tensorflow as tf

    if not type(strategy).__name__.startswith(("MultiWorkerMirrored", "CollectiveAllReduce")):
        return
    squares = float(sum(tf.reduce_sum(tf.square(tf.cast(v, tf.float64))).numpy() for v in variables))
    mine = tf.constant([step, step**2, squares, squares**2], tf.float64)
    total = strategy.reduce("SUM", strategy.run(lambda: mine), axis=None).numpy()
    n = strategy.num_replicas_in_sync  # each replica adds its worker's values: equal values iff n * sum(x^2) = sum(x)^2
    if n * total[1] != total[0] ** 2 or n * total[3] - total[2] ** 2 > 1e-12 * total[2] ** 2:
        raise TrainingError(
            f"the workers of this run start from different checkpoints (this one from step {step:,} in {output}, "
            f"the mean over all {total[0] / n:,.1f}): every worker must read the chief's run folder; give them all "
            "the same --output on a file system they share"
        )


@contextlib.contextmanager
def watchdog(seconds, message):
    """Unless the block ends within `seconds`, a separate process prints `message` to stderr and kills this one
    (SIGKILL: TensorFlow's start-up traps SIGTERM, and holds the GIL, so nothing in this process can act)."""
    code = (
        "import os, select, signal, sys\n"
        "if not select.select([sys.stdin], [], [], float(sys.argv[1]))[0]:\n"
        "    print(sys.argv[2], file=sys.stderr, flush=True)\n"
        "    os.kill(int(sys.argv[3]), signal.SIGKILL)\n"
    )
    dog = subprocess.Popen([sys.executable, "-c", code, str(seconds), message, str(os.getpid())], stdin=subprocess.PIPE)
    try:
        yield
    finally:
        dog.stdin.close()  # end of input: the watchdog exits
        dog.wait()


def worker_timeout():
    """Seconds a multi-worker run waits for its workers to start: TF_ELECTRA_WORKER_TIMEOUT, default 300."""
    text = os.environ.get(WORKER_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_WORKER_TIMEOUT
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= 86_400:
        raise TrainingError(f"{WORKER_TIMEOUT_ENV} must be a whole number of seconds from 1 to 86400, got {text!r}")
    return seconds


def wait_for_workers(addresses, timeout, poll=0.5):
    """Waits until each {(job, index): "host:port"} accepts a TCP connection; TrainingError names those that
    did not within `timeout` seconds."""
    pending, deadline = dict(addresses), time.monotonic() + timeout
    while pending:
        for task, address in list(pending.items()):
            host, _, port = address.rpartition(":")
            try:
                with socket.create_connection((host.strip("[]"), int(port)), timeout=min(poll * 2, timeout)):
                    del pending[task]
            except (OSError, ValueError):
                pass
        if pending and time.monotonic() >= deadline:
            missing = ", ".join(f"{_name(task)} at {address}" for task, address in sorted(pending.items()))
            raise TrainingError(
                f"multi-worker start-up: {missing} did not answer within {timeout} s; start every worker of "
                f"TF_CONFIG's cluster (or raise {WORKER_TIMEOUT_ENV})"
            )
        if pending:
            time.sleep(poll)


def _tasks(cluster):
    """{(job, index): address} of the coordinated jobs of a cluster spec dict (lists or sparse dicts)."""
    tasks = {}
    for job in COORDINATED_JOBS:
        addresses = cluster.get(job, [])
        items = addresses.items() if isinstance(addresses, dict) else enumerate(addresses)
        tasks.update({(job, int(index)): str(address) for index, address in items})
    return tasks


def _limit_registration(tasks, leader, timeout):
    """Configures TensorFlow's coordination service as MultiWorkerMirroredStrategy would, with `timeout` for the
    workers to register (TensorFlow's default: an hour). Another TensorFlow version keeps its own."""
    try:
        from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
        from tensorflow.python.eager import context
    except ImportError:
        return
    jobs = [
        coordination_config_pb2.CoordinatedJob(name=job, num_tasks=sum(1 for j, _ in tasks if j == job))
        for job in COORDINATED_JOBS
        if any(j == job for j, _ in tasks)
    ]
    context.context().configure_coordination_service(
        service_type="standalone",
        service_leader=f"/job:{leader[0]}/replica:0/task:{leader[1]}",
        coordinated_jobs=jobs,
        cluster_register_timeout_in_ms=timeout * 1000,
    )


def _name(task):
    return f"{task[0]} {task[1]}"
