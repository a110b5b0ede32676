"""The legacy Completions wire kind (``POST /v1/completions``): chunks, decoder, fold. Pure, no I/O."""
