"""Hypothesis strategies for OpenGPU protocol inputs, built from the SDK's own types.

Users import these to drive their own property tests::

    from hypothesis import given
    from ogpu_sim.testing import strategies as ost

    @given(info=ost.source_infos(), task=ost.task_inputs())
    def test_my_client(info, task): ...

Numeric strategies deliberately favour boundary values (0, 1, a limit, one past a limit), which is
where protocol guards such as ``PaymentTooLow``, ``ExpiryTooLong`` or ``InsufficientLockup``
flip.

The parametrised strategies are built once per arguments (a strategy is immutable, and a
fresh one costs hypothesis a validation on its first draw), so :func:`source_infos` builds
none per draw.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from ogpu.types import DeliveryMethod, ImageEnvironments, SourceInfo, TaskInfo, TaskInput

#: One OGPU in wei.
OGPU = 10**18

#: The behaviours a simulated provider supports (``Simulator.add_provider(behaviour=...)``).
BEHAVIOURS = ("honest", "slow", "silent", "failing", "late", "wrong", "racer")

#: The single-environment values a provider may register with.
ENVIRONMENTS = (1, 2, 4)

_COMPOSE_URL = "https://compose.example/{name}.yml"
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=16)
_description = st.text(max_size=40)


@lru_cache(maxsize=256)
def delivery_methods() -> st.SearchStrategy[DeliveryMethod]:
    """Both delivery methods (MANUAL_CONFIRMATION first, so it is what shrinking prefers)."""
    return st.sampled_from([DeliveryMethod.MANUAL_CONFIRMATION, DeliveryMethod.FIRST_RESPONSE])


@lru_cache(maxsize=256)
def environment_masks(*, allow_empty: bool = True) -> st.SearchStrategy[int]:
    """``imageEnvironments`` bitmasks a source may declare (0-7; 0 only if ``allow_empty``)."""
    return st.integers(min_value=0 if allow_empty else 1, max_value=7)


def environments() -> st.SearchStrategy[int]:
    """A single valid environment a provider registers with: CPU=1, NVIDIA=2 or AMD=4."""
    return st.sampled_from(ENVIRONMENTS)


def invalid_environments() -> st.SearchStrategy[int]:
    """Values ``Nexus.register`` must reject: zero, multi-bit masks and out-of-range bytes."""
    return st.sampled_from([0, 3, 5, 6, 7, 8, 16, 255])


@lru_cache(maxsize=256)
def image_environments(*, allow_empty: bool = False) -> st.SearchStrategy[ImageEnvironments]:
    """SDK ``ImageEnvironments`` whose non-empty compose URLs make up a random mask."""

    def build(mask: int) -> ImageEnvironments:
        return ImageEnvironments(
            cpu=_COMPOSE_URL.format(name="cpu") if mask & 1 else "",
            nvidia=_COMPOSE_URL.format(name="nvidia") if mask & 2 else "",
            amd=_COMPOSE_URL.format(name="amd") if mask & 4 else "",
        )

    return environment_masks(allow_empty=allow_empty).map(build)


@lru_cache(maxsize=256)
def amounts(max_value: int = 10 * OGPU, *, min_value: int = 0) -> st.SearchStrategy[int]:
    """Wei amounts in ``[min_value, max_value]``, biased to the ends and round OGPU values."""
    edges = [v for v in (min_value, min_value + 1, max_value - 1, max_value) if min_value <= v]
    round_values = [
        v * OGPU // 10 for v in range(1, 11) if min_value <= v * OGPU // 10 <= max_value
    ]
    return st.one_of(
        st.sampled_from(sorted(set(edges + round_values))),
        st.integers(min_value=min_value, max_value=max_value),
    )


@lru_cache(maxsize=256)
def around(limit: int, *, spread: int = 2) -> st.SearchStrategy[int]:
    """Integers within ``spread`` of ``limit`` (never negative): one side valid, one not."""
    return st.integers(min_value=max(0, limit - spread), max_value=limit + spread)


def behaviours(*, include: tuple[str, ...] = BEHAVIOURS) -> st.SearchStrategy[str]:
    """Simulated provider behaviours (``honest`` first, so shrinking lands on it)."""
    return st.sampled_from(include)


def task_inputs(function_names: tuple[str, ...] = ("run",)) -> st.SearchStrategy[TaskInput]:
    """SDK ``TaskInput`` payloads: a handler name and small JSON data."""
    json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**31), 2**31), _label)
    data = st.dictionaries(_label, json_leaf, max_size=3)
    return st.builds(TaskInput, function_name=st.sampled_from(function_names), data=data)


@lru_cache(maxsize=256)
def _lockups(max_lockup: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(0), amounts(max_lockup))


@lru_cache(maxsize=256)
def _expiry_durations(max_expiry: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([1, 60, max_expiry]), around(max_expiry))


@st.composite
def source_infos(
    draw: Any,
    *,
    max_payment: int = OGPU,
    max_lockup: int = OGPU,
    max_expiry: int = 3600,
    allow_empty_environments: bool = False,
    delivery: st.SearchStrategy[DeliveryMethod] | None = None,
) -> SourceInfo:
    """SDK ``SourceInfo`` values with random terms (payment, lockup, expiry, delivery)."""
    return SourceInfo(
        name=draw(_label),
        description=draw(_description),
        logoUrl="https://logo.example/" + draw(_label) + ".png",
        imageEnvs=draw(image_environments(allow_empty=allow_empty_environments)),
        minPayment=draw(amounts(max_payment)),
        minAvailableLockup=draw(_lockups(max_lockup)),
        maxExpiryDuration=draw(_expiry_durations(max_expiry)),
        deliveryMethod=draw(delivery or delivery_methods()),
    )


def expiry_offsets(
    max_expiry_duration: int, *, valid: bool | None = None
) -> st.SearchStrategy[int]:
    """Offsets from block time for ``TaskInfo.expiryTime``, biased to the guard boundaries.

    Args:
        max_expiry_duration: the source's ``maxExpiryDuration``.
        valid: True for offsets in ``[1, max_expiry_duration]``, False for offsets the
            Controller rejects (``<= 0`` gives ``Expired``, ``> max`` gives ``ExpiryTooLong``),
            None for both.
    """
    good = st.one_of(
        st.sampled_from(sorted({1, max(1, max_expiry_duration)})),
        st.integers(min_value=1, max_value=max(1, max_expiry_duration)),
    )
    bad = st.sampled_from([-60, -1, 0, max_expiry_duration + 1, max_expiry_duration + 3600])
    if valid is None:
        return st.one_of(good, bad)
    return good if valid else bad


@st.composite
def task_infos(
    draw: Any,
    source: str,
    *,
    now: int,
    source_info: SourceInfo | None = None,
    valid: bool | None = None,
    max_payment: int = OGPU,
) -> TaskInfo:
    """SDK ``TaskInfo`` for ``source`` with expiry and payment around the source's limits.

    Args:
        source: the source address.
        now: current block time; ``expiryTime`` is ``now + offset``.
        source_info: the source's terms (defaults: no minimum payment, 3600 s max expiry).
        valid: True for tasks the Controller accepts (given enough balance), False for ones
            it rejects on expiry or payment, None for both.
        max_payment: upper bound of the payment.
    """
    max_expiry = source_info.maxExpiryDuration if source_info else 3600
    min_payment = source_info.minPayment if source_info else 0
    if valid is False and min_payment > 0 and draw(st.booleans()):
        offset = draw(expiry_offsets(max_expiry, valid=True))
        payment = draw(st.integers(min_value=0, max_value=min_payment - 1))
    else:
        offset = draw(expiry_offsets(max_expiry, valid=valid))
        payment = draw(amounts(max(max_payment, min_payment), min_value=min_payment))
        if valid is None:
            payment = draw(st.one_of(st.just(payment), around(min_payment, spread=1)))
    return TaskInfo(
        source=source, config=draw(task_inputs()), expiryTime=now + offset, payment=payment
    )
