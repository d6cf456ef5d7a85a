"""C071: a chain of imports deeper than the checker follows is reported at the import that goes too far."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthspec.check.resources import MAX_IMPORT_DEPTH
from synthspec.diagnostics import SynthspecError
from synthspec.ir import compile_spec


def test_C071_imports_nested_too_deep(tmp_path: Path) -> None:
    depth = MAX_IMPORT_DEPTH + 2
    for i in range(1, depth + 1):
        nxt = f'import "f{i + 1}.synth"\n' if i < depth else ""
        (tmp_path / f"f{i}.synth").write_text(f'{nxt}list l{i} = ["x{i}"]\n', encoding="utf-8")
    main = tmp_path / "main.synth"
    main.write_text('import "f1.synth"\ndataset d { field text: text { words 3..5 } }\n', encoding="utf-8")
    with pytest.raises(SynthspecError) as caught:
        compile_spec(str(main))
    assert [d.code for d in caught.value.diagnostics] == ["C071"]
