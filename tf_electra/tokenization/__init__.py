"""WordPiece tokenization on the Rust `tokenizers` library: ElectraTokenizer and vocabulary training."""
