"""Keras layers of ELECTRA, named after the original variable scopes."""
