"""Stage 4: the frozen, typed IR and the front end that produces it.

`ir/model.py` and `ir/params.py` sit below the checker (they import only pydantic), so the checker can validate a
spec through the IR's own models.  `compile_spec` runs the checker, so it is imported on first use: importing the
IR models must not import the checker back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthspec.ir.model import Spec

if TYPE_CHECKING:
    from synthspec.ir.compile import CompileResult, compile_spec


def __getattr__(name: str) -> Any:
    if name in ("CompileResult", "compile_spec"):
        from synthspec.ir import compile as front_end

        return getattr(front_end, name)
    raise AttributeError(f"module 'synthspec.ir' has no attribute {name!r}")


__all__ = ["CompileResult", "Spec", "compile_spec"]
