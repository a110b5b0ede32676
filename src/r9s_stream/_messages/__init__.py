"""The Anthropic Messages wire kind (``POST /v1/messages``): types, decoder, fold. Pure, no I/O."""
