"""What a spec may say about generation: the techniques and their parameters, the backends and their aliases.

One place for these facts.  The checker validates `technique NAME(...)` through the `Params` model of the
technique (types and ranges, as it does validator parameters through their models), the techniques read their
parameters — defaults included — from the same model, and `ModelSpec` (ir/model.py) carries the model block's
limits.  This module sits below the checker in the pipeline (it imports only pydantic), so the checker can use it.

Parameters the spec leaves out are not written into the IR (`TechniqueSpec.params` keeps what was written, so the
IR and the build identity of existing specs do not change); `technique_params()` fills in the defaults.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

# -- backends ----------------------------------------------------------------------------------------------------
BACKENDS = ("llamacpp", "transformers", "openai")
DEFAULT_BACKEND = "llamacpp"
# Other spellings people write, in a spec or after --backend; each means the backend it maps to.
BACKEND_ALIASES = {"llama.cpp": "llamacpp", "llama_cpp": "llamacpp", "llama-cpp": "llamacpp", "hf": "transformers",
                   "server": "openai", "openai-compatible": "openai"}


# How the server backend sends constraints to each server (`auto`: read from its /v1/models answer).
DIALECTS = ("auto", "vllm", "sglang", "llamacpp", "openai")


def canonical_backend(name: str) -> str | None:
    """The backend a name (or alias, any case) means, or None when it names none."""
    lowered = name.lower()
    lowered = BACKEND_ALIASES.get(lowered, lowered)
    return lowered if lowered in BACKENDS else None


# -- technique parameters ----------------------------------------------------------------------------------------
Shots = Annotated[int, Field(ge=0, le=256, strict=True, description="few-shot examples per prompt")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]


class TechniqueParams(BaseModel):
    """Base of the technique parameter models: immutable, no unknown parameters.

    `defer_build`: a model's validator is built when it first validates, not when the class is made, so a process
    pays only for the technique its spec names (building all six cost ~18 ms of a cold `synthspec check`).
    `model_fields`, which the checker reads for names, types and limits, is filled in either way.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class PlainParams(TechniqueParams):
    shots: Shots = 8
    #: records per few-shot context: N consecutive records show the same shots, so a batched llama.cpp session
    #: evaluates the shared prompt prefix once and copies its KV (fewer prompt tokens, fewer distinct contexts);
    #: 1 gives each record shots of its own, half matching its labels (bench_throughput --share, bench_tstr --share)
    share_shots: Annotated[int, Field(ge=1, le=64, strict=True)] = 1


class SelfInstructParams(TechniqueParams):
    shots: Shots = 6
    pool_shots: Shots = 2
    novelty: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.7


class ParaphraseParams(TechniqueParams):
    per_seed: Annotated[int, Field(ge=1, le=1000, strict=True)] = 1
    min_similarity: Fraction = 0.75
    max_overlap: Fraction = 0.6
    shots: Shots = 3
    length: Annotated[float, Field(ge=0.0, le=4.0, strict=True)] = 0.5
    attempts: Annotated[int, Field(ge=1, le=100, strict=True)] = 8


class CounterfactualParams(TechniqueParams):
    shots: Shots = 8
    edits: Fraction = 0.15
    marker_z: Annotated[float, Field(ge=0.0, le=100.0, strict=True)] = 0.75


class AdversarialParams(TechniqueParams):
    target: Annotated[str, Field(strict=True)] = "tfidf_lr"
    # None: min(count, 20), decided by the technique because it depends on the record count
    pick: Annotated[int, Field(ge=1, le=10_000_000, strict=True)] | None = None
    threshold: Fraction = 0.5
    shots: Shots = 3


class GapFillingParams(TechniqueParams):
    # None: the dataset's only category field
    field: Annotated[str, Field(strict=True)] | None = None
    target: Union[Annotated[str, Field(strict=True)], list[str]] = "uniform"  # noqa: UP007 - pydantic union
    shots: Shots = 0


TECHNIQUE_PARAMS: dict[str, type[TechniqueParams]] = {
    "plain": PlainParams,
    "self_instruct": SelfInstructParams,
    "paraphrase": ParaphraseParams,
    "counterfactual": CounterfactualParams,
    "adversarial": AdversarialParams,
    "gap_filling": GapFillingParams,
}
TECHNIQUES = tuple(TECHNIQUE_PARAMS)


def technique_params(name: str, params: dict[str, Any]) -> TechniqueParams:
    """The parameters of technique `name` with defaults filled in (raises pydantic's ValidationError)."""
    return TECHNIQUE_PARAMS[name].model_validate(params)


def accepted_types(model: type[BaseModel], name: str) -> tuple[type, ...]:
    """The Python types a spec value of parameter `name` may have (an int is accepted where a float is)."""
    found: list[type] = []

    def walk(annotation: Any) -> None:
        origin = get_origin(annotation)
        if origin is Annotated:
            walk(get_args(annotation)[0])
        elif origin is Union or origin is types.UnionType:
            for arg in get_args(annotation):
                walk(arg)
        elif origin is not None:
            found.append(origin)
        elif annotation is float:
            found.extend((int, float))
        elif annotation is not type(None) and isinstance(annotation, type):
            found.append(annotation)

    walk(model.model_fields[name].annotation)
    return tuple(dict.fromkeys(found))


def _metadata(annotation: Any) -> list[Any]:
    """The constraint objects inside an annotation (`Annotated[int, Field(ge=1)] | None` has one)."""
    found: list[Any] = []
    if get_origin(annotation) is Annotated:
        args = get_args(annotation)
        found.extend(getattr(arg, "metadata", [arg]) for arg in args[1:])
        found = [m for group in found for m in (group if isinstance(group, list) else [group])]
        found.extend(_metadata(args[0]))
    for arg in get_args(annotation) if get_origin(annotation) is not Annotated else ():
        found.extend(_metadata(arg))
    return found


def limits(model: type[BaseModel], name: str) -> tuple[float | None, float | None, bool]:
    """(low, high, low_open) of a numeric parameter: the inclusive range its model allows (open below if gt)."""
    low = high = None
    low_open = False
    info = model.model_fields[name]
    for meta in [*info.metadata, *_metadata(info.annotation)]:
        if getattr(meta, "ge", None) is not None:
            low = meta.ge
        if getattr(meta, "gt", None) is not None:
            low, low_open = meta.gt, True
        if getattr(meta, "le", None) is not None:
            high = meta.le
    return low, high, low_open


def describe_limits(model: type[BaseModel], name: str) -> str | None:
    """`between 0 and 1`, `at least 1`, `above 0 and at most 1`: the range a parameter's model allows."""
    low, high, low_open = limits(model, name)
    if low is None and high is None:
        return None
    if high is None:
        return f"{'above' if low_open else 'at least'} {_number(low)}"
    if low is None:
        return f"at most {_number(high)}"
    if low_open:
        return f"above {_number(low)} and at most {_number(high)}"
    return f"between {_number(low)} and {_number(high)}"


def _number(value: float | None) -> str:
    return f"{int(value):,}" if value is not None and float(value).is_integer() else f"{value:g}"
