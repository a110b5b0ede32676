"""``aconnect_*_stream``: a stream of each wire kind opened on the caller's own HTTP client."""
