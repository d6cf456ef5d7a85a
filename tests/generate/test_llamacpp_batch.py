"""Continuous batching on llama.cpp with the real embedded model: valid, reproducible, slots refilled, KV reused."""

from __future__ import annotations

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import GenRequest
from synthspec.generate.grammars import accepts

pytestmark = pytest.mark.e2e

SENTENCE = 'start: "The " WORD " is " ("red"|"blue") ".\\n"\nWORD: /[a-z]{2,10}/\n'
CODE = 'start: " " /[A-Z]{3}-[0-9]{4}/ "\\n"\n'
TEXT = 'start: " " WORD (" " WORD){2,19} "\\n"\nWORD: /[A-Za-z]{1,12}[.,!?]?/\n'
BUSY = 'start: /[a-z ]{200}/\n'
PROMPT = "Customer messages.\n\nCode: QXR-3812\nText: My card was charged twice.\n\nCode:"


@pytest.fixture(scope="module")
def gemma():
    from synthspec.generate.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend()
    yield backend
    backend.close()


def _requests() -> list[GenRequest]:
    kinds = [("Colours of things:\n", SENTENCE), (PROMPT, CODE), (PROMPT + " QXR-1111\nText:", TEXT)]
    return [GenRequest(*kinds[i % 3], 60, 100 + i) for i in range(7)]


def _run(backend, slots: int, requests: list[GenRequest]) -> tuple[list[int], dict[int, object]]:
    """Submit while slots are free, poll until done, as the scheduler does; returns poll order and results."""
    session = backend.open_session(slots)
    order, results, queue = [], {}, list(enumerate(requests))
    try:
        while queue or session.in_flight():
            while queue and session.free_slots() > 0:
                key, request = queue.pop(0)
                session.submit(key, request)
            assert session.in_flight() <= slots
            for key, result in session.poll():
                order.append(key)
                results[key] = result
    finally:
        session.close()
    return order, results


def test_batched_results_are_valid_and_reproducible(gemma):
    requests = _requests()
    order, results = _run(gemma, 3, requests)
    assert sorted(order) == list(range(len(requests)))
    for key, request in enumerate(requests):
        result = results[key]
        assert not result.truncated and accepts(request.grammar, result.text), result
        assert result.completion_tokens > 0 and result.prompt_tokens > 0
    again_order, again = _run(gemma, 3, requests)
    assert again_order == order and again == results  # same submissions, same slots: same text, same order


def test_one_slot_session_gives_what_generate_gives(gemma):
    requests = _requests()[:3]
    alone = [gemma.generate([r])[0] for r in requests]
    assert gemma.generate(requests) == alone  # generate: each result depends on its own request only


def test_budget_exhaustion_is_truncated(gemma):
    _, results = _run(gemma, 2, [GenRequest(PROMPT, TEXT, 3, 1), GenRequest(PROMPT, CODE, 30, 2)])
    assert results[0].truncated and results[0].completion_tokens == 3 and not accepts(TEXT, results[0].text)
    assert not results[1].truncated


def test_a_prompt_extending_a_finished_one_reuses_its_kv_cache(gemma):
    session = gemma.open_session(2)
    try:
        session.submit("code", GenRequest(PROMPT, CODE, 20, 3))
        # keeps the session working: 200 letters cannot be written in the code's few tokens
        session.submit("busy", GenRequest("Colours of things:\n", BUSY, 120, 9))
        [(key, code)] = session.poll()
        assert key == "code"
        session.submit("text", GenRequest(PROMPT + code.text + "Text:", TEXT, 40, 4))
        results = dict(session.poll())
        while session.in_flight():
            results.update(session.poll())
        # nothing in flight: a new request starts from a forgotten cache (as after a resume)
        session.submit("again", GenRequest(PROMPT + code.text + "Text:", TEXT, 40, 4))
        [(_, again)] = session.poll()
    finally:
        session.close()
    text = results["text"]
    assert code.cached_prompt_tokens == 0
    assert text.cached_prompt_tokens >= code.prompt_tokens - 1  # only the new tail was evaluated
    assert not text.truncated and accepts(TEXT, text.text)
    assert again.cached_prompt_tokens == 0


def test_unconstrained_requests_run_in_the_same_session(gemma):
    _, results = _run(gemma, 2, [GenRequest("Once upon a time", "", 12, 1), GenRequest(PROMPT, CODE, 20, 2)])
    assert results[0].completion_tokens <= 12 and results[0].text
    assert accepts(CODE, results[1].text)


def test_a_prompt_too_long_for_the_context_is_a_clear_error(gemma):
    session = gemma.open_session(1)
    try:
        with pytest.raises(SynthspecError) as info:
            session.submit(0, GenRequest("word " * 5000, TEXT, 40, 1))
    finally:
        session.close()
    assert "M005" in info.value.render() and "context" in info.value.render()


REPEATED = "Customer messages to a bank.\n\n" + "".join(
    f"Intent: card_arrival\nText: My card number {i} has not arrived yet, where is it?\n\n" for i in range(6)
) + "Intent: card_arrival\nText:"


def test_requests_sharing_a_prompt_copy_its_kv_and_decode_the_same(gemma):
    # greedy on a prompt that makes the next words obvious: a wrong copied cache shows as other words
    requests = [GenRequest(REPEATED, TEXT, 30, seed, temperature=0.0) for seed in range(3)]
    _, results = _run(gemma, 3, requests)
    [alone] = gemma.generate(requests[:1])
    assert results[0].cached_prompt_tokens == 0
    for key in (1, 2):
        assert results[key].cached_prompt_tokens == results[key].prompt_tokens - 1  # evaluated once, copied
    for result in results.values():
        assert result.text.startswith(" My card number") and alone.text.startswith(" My card number"), result
