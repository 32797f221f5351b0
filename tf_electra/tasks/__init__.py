"""Tasks: one class per task, owning its head, data encoding, batching, metrics and outputs."""
