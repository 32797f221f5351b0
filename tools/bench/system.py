"""The machine: CPU model, load, a bounded wait for quiet, peak memory, and FLOP counts."""

import os
import sys
import time


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def cpu_flags():
    """The ISA extensions that decide which kernels can run (AVX-512, BF16, VNNI, AMX)."""
    wanted = ("avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8", "amx_tile")
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [w for w in wanted if w in flags]
    except OSError:
        pass
    return []


def load_average():
    try:
        return tuple(float(x) for x in open("/proc/loadavg").read().split()[:3])
    except OSError:
        return (float("nan"),) * 3


def _cpu_times():
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]


def foreign_busy_fraction(own_pids=(), interval=0.5):
    """Share of all CPUs used over `interval` s by processes other than `own_pids` (the benchmark's)."""

    def own_ticks():
        total = 0
        for pid in own_pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parts = f.read().rsplit(")", 1)[1].split()
                total += sum(int(x) for x in parts[11:15])
            except (OSError, IndexError, ValueError):
                pass
        return total

    total0, idle0 = _cpu_times()
    own0 = own_ticks()
    time.sleep(interval)
    total1, idle1 = _cpu_times()
    own1 = own_ticks()
    total = max(total1 - total0, 1.0)
    return max(0.0, (total - (idle1 - idle0) - (own1 - own0)) / total)


class QuietWatch:
    """Waits (bounded) for other processes to leave the CPUs alone, and remembers whether they did.

    Args:
        limit_s: Longest wait before one measurement; after it the measurement runs anyway and
            is flagged busy.
        threshold: Foreign CPU share (0-1) above which the machine counts as busy.
    """

    def __init__(self, limit_s=60.0, threshold=0.10):
        self.limit_s = limit_s
        self.threshold = threshold
        self.busy_measurements = 0
        self.measurements = 0
        self.max_foreign = 0.0

    def wait(self, own_pids=()):
        """Returns the foreign CPU share seen last (after waiting up to limit_s for it to drop)."""
        deadline = time.time() + self.limit_s
        announced = False
        while True:
            share = foreign_busy_fraction(own_pids)
            if share < self.threshold or time.time() >= deadline:
                break
            if not announced:
                print(
                    f"  (waiting up to {self.limit_s:.0f} s for a quiet machine: other processes use "
                    f"{100 * share:.0f}% of the CPUs)",
                    file=sys.stderr,
                    flush=True,
                )
                announced = True
        self.measurements += 1
        self.max_foreign = max(self.max_foreign, share)
        if share >= self.threshold:
            self.busy_measurements += 1
        return share

    @property
    def busy(self):
        """True when more than a tenth of the measurements ran beside a busy machine."""
        return self.busy_measurements > 0.1 * max(self.measurements, 1)


def tf_cpu_allocator():
    """ "bfc", "onednn" or "default": the allocator of this process's TensorFlow CPU tensors (only BFC allocators keep
    the statistics asked for); None where TensorFlow is not imported (a PyTorch worker). The same test as
    tf_electra.utils.allocator.in_use, written again because the peers' and the serving benchmark's processes must
    never import tf_electra (its import would choose their allocator)."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    try:
        tf.config.experimental.get_memory_info("CPU:0")
    except ValueError:
        return "default"
    if os.environ.get("TF_CPU_ALLOCATOR_USE_BFC", "").strip().lower() in ("true", "1"):
        return "bfc"
    # With oneDNN on (TensorFlow's default on CPUs with AVX-512 VNNI/BF16 or AMX) the default CPU allocator is
    # oneDNN's own MklCPUAllocator, BFC-based too: it keeps the statistics, yet it is not the allocator we choose.
    return "onednn"


def reset_peak_rss():
    """Resets this process's peak resident memory (Linux: VmHWM), so each case reports its own."""
    try:
        with open(f"/proc/{os.getpid()}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    try:
        with open(f"/proc/{os.getpid()}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def forward_flops(cfg, batch, seq):
    """FLOPs of one encoder forward pass (2 per multiply-add; dense layers and attention)."""
    h, i, e, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["embedding_size"], cfg["num_hidden_layers"]
    tokens = batch * seq
    per_layer = 2 * tokens * (4 * h * h + 2 * h * i) + 2 * 2 * batch * seq * seq * h
    project = 2 * tokens * e * h if e != h else 0
    return layers * per_layer + project


def train_flops(cfg, batch, seq):
    """A training step: forward plus backward (about twice the forward)."""
    return 3 * forward_flops(cfg, batch, seq)
