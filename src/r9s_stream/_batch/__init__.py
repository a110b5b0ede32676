"""Batches: many requests through one client — OpenAI Batch files, rate limits, retries, resume."""
