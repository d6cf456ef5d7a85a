"""Raises on import, on purpose (see README)."""

raise RuntimeError("synthspec-broken refuses to import (deliberately broken test plugin)")
