"""The OpenAI Responses wire kind (``POST /v1/responses``): events, decoder, fold. Pure, no I/O."""
