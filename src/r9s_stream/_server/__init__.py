"""The embedded OpenAI-compatible server (``r9s-stream serve``, ``testing.run_server``).

See ``_catalogue`` for the models it answers to; ``uvicorn`` (the ``server`` extra) runs it.
"""

from ._app import ChatServerApp
from ._catalogue import MODELS
from ._runner import base_url_of, listen, serve_forever, uvicorn_module

__all__ = ["MODELS", "ChatServerApp", "base_url_of", "listen", "serve_forever", "uvicorn_module"]
