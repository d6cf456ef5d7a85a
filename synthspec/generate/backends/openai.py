"""The name the server backend had before it learned dialects (`backend openai` still selects it)."""

from __future__ import annotations

from synthspec.generate.backends.server import ServerBackend as OpenAIBackend

__all__ = ["OpenAIBackend"]
