"""TF Serving: SavedModel export, warm-up requests, and tokenization as graph ops (TensorFlow-specific)."""
