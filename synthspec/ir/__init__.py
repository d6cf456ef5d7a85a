"""Stage 4: the frozen, typed IR and the front end that produces it."""

from synthspec.ir.compile import CompileResult, compile_spec
from synthspec.ir.model import Spec

__all__ = ["CompileResult", "Spec", "compile_spec"]
