"""Fine-tuning: the paper's optimizer recipe, task data pipelines, metrics, and the fit loop."""
