"""ELECTRA pre-training: building the data, and the training run that writes Google-layout checkpoints."""
