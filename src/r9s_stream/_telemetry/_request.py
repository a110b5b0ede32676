"""What a request says in GenAI span attributes: the provider, the server, the parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["DEFAULT_PROVIDER", "provider_for_host", "request_attributes", "server_of"]

# Every other host speaks OpenAI's wire format (vLLM, llama.cpp, LiteLLM, Ollama, a gateway):
# the conventions' discriminator of the telemetry's flavour, as openai-python's instrumentation
# reports it too. `server.address` says which server it really was.
DEFAULT_PROVIDER = "openai"

# Host (or parent domain) → gen_ai.provider.name, the conventions' well-known values where
# there is one.
_PROVIDERS = {
    "r9s.ai": "r9s",
    "api.openai.com": "openai",
    "openai.azure.com": "azure.ai.openai",
    "services.ai.azure.com": "azure.ai.inference",
    "models.inference.ai.azure.com": "azure.ai.inference",
    "api.deepseek.com": "deepseek",
    "api.groq.com": "groq",
    "api.mistral.ai": "mistral_ai",
    "api.x.ai": "x_ai",
    "api.perplexity.ai": "perplexity",
    "api.anthropic.com": "anthropic",
    "api.cohere.com": "cohere",
    "api.cohere.ai": "cohere",
    "api.moonshot.ai": "moonshot_ai",
    "api.moonshot.cn": "moonshot_ai",
    "generativelanguage.googleapis.com": "gcp.gemini",
    "aiplatform.googleapis.com": "gcp.vertex_ai",
    "openrouter.ai": "openrouter",
}

# Request field → attribute, for the numeric parameters the conventions name.
_NUMBERS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
}


def provider_for_host(host: str) -> str:
    """``gen_ai.provider.name`` for a server's host name: a known provider, else ``openai``."""
    host = host.lower().rstrip(".")
    while host:
        provider = _PROVIDERS.get(host)
        if provider is not None:
            return provider
        _, _, host = host.partition(".")
    return DEFAULT_PROVIDER


def server_of(url: httpx.URL) -> tuple[str, int]:
    """``server.address`` and ``server.port`` of a URL (the scheme's port when none is given)."""
    port = url.port
    if port is None:
        port = 443 if url.scheme == "https" else 80
    return url.host, port


def request_attributes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``gen_ai.request.*`` (and ``gen_ai.output.type``) attributes of a request body."""
    attributes: dict[str, Any] = {}
    for field, name in _NUMBERS.items():
        value = body.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[name] = value
    n = body.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and n != 1:
        attributes["gen_ai.request.choice.count"] = n
    stop = body.get("stop")
    if isinstance(stop, str):
        attributes["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
        attributes["gen_ai.request.stop_sequences"] = list(stop)
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind in ("json_object", "json_schema"):
            attributes["gen_ai.output.type"] = "json"
        elif kind == "text":
            attributes["gen_ai.output.type"] = "text"
    return attributes
