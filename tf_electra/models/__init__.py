"""Keras models: the ELECTRA encoder and every task head."""
