"""The `tf-electra` command line tool: it parses arguments and calls the library's functions."""

from tf_electra.cli.main import main

__all__ = ["main"]
