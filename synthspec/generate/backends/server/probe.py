"""The conformance probe: does this server actually enforce the constraint we send?

Before the first record, each server gets one tiny request whose constraint
allows exactly one short answer that a model would never write unconstrained
(``purple-zebra-7Q`` after a question about arithmetic).  A server that answers
anything else dropped the constraint on the floor: vLLM ignores unknown or
removed fields, a proxy may strip them, a hosted API may not support them.
The vLLM probe also uses llguidance's ``&``/``~`` (what every `must not include`
needs), so a vLLM on a grammar backend that cannot express them is caught too.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthspec.generate.backends.base import GenRequest

ANSWER = "purple-zebra-7Q"
PROMPT = "Question: what is two plus two?\nAnswer:"
#: the one answer, as plain Lark (every dialect translates it) ...
PLAIN = f'start: "{ANSWER}"\n'
#: ... and with llguidance's intersection and negation, as vLLM receives field grammars
LLGUIDANCE = f'%llguidance {{}}\nstart: ANSWER\nANSWER: ("{ANSWER}" | "purple-zebra-8Q") & ~/.*8.*/\n'


@dataclass(frozen=True)
class ProbeResult:
    """What one server did with the probe."""

    url: str
    dialect: str
    field: str
    answer: str | None
    error: str | None = None

    @property
    def enforced(self) -> bool:
        return self.error is None and self.answer is not None and self.answer.strip() == ANSWER

    def describe(self) -> str:
        if self.enforced:
            return f"{self.url} ({self.dialect}) enforced `{self.field}`"
        if self.error is not None:
            return f"{self.url} ({self.dialect}) refused the probe's `{self.field}`: {self.error}"
        return (f"{self.url} ({self.dialect}) ignored `{self.field}`: asked for exactly {ANSWER!r}, "
                f"it answered {self.answer!r}")


def probe_request(dialect: str) -> GenRequest:
    """The probe as a generation request for `dialect` (greedy, a small budget)."""
    grammar = LLGUIDANCE if dialect == "vllm" else PLAIN
    return GenRequest(PROMPT, grammar, max_tokens=16, seed=0, temperature=0.0, top_p=1.0)
