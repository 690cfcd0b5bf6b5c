"""Differential test: the vectorized unrest engine against the loop-based reference.

Both are stepped from the same state with the same random words; every field of the next
state and every count must be identical (integers exactly, floats bit for bit, since the
engine only moves them).
"""

from __future__ import annotations

import numpy as np
import pytest
from reference_unrest import reference_step

from offramp.model.streams import Stream, WorldStreams
from offramp.model.unrest import (
    Citizen,
    Occupant,
    RatioRounding,
    UnrestDrivers,
    UnrestParams,
    UnrestState,
    Variant,
    advance_with_words,
    draw_rows,
    init_unrest,
)

FIELDS = ("occupant", "status", "jail_steps", "hardship", "risk_aversion", "duty_rank")


def _params(**overrides) -> UnrestParams:
    base = dict(
        height=9,
        width=11,
        citizen_density=0.6,
        police_density=0.1,
        citizen_vision=2,
        police_vision=3,
        max_jail_steps=np.array([0, 3, 7]),
        arrest_constant=2.3,
        variant=Variant.MESA,
        ratio_rounding=RatioRounding.ROUND,
        movement=True,
        turns=4,
        move_rounds=2,
        move_attempts=2,
    )
    base.update(overrides)
    return UnrestParams(**base)


def _busy_state(params: UnrestParams, seed: int) -> UnrestState:
    """A state with every citizen status present: some active, some jailed with short terms."""
    state = init_unrest(params, WorldStreams.for_worlds(seed, range(3), Stream.UNREST))
    rng = np.random.default_rng(seed)
    is_citizen = state.occupant == Occupant.CITIZEN
    draw = rng.random(state.occupant.shape)
    status = np.where(is_citizen & (draw < 0.3), Citizen.ACTIVE, Citizen.QUIET)
    status = np.where(is_citizen & (draw > 0.85), Citizen.JAILED, status).astype(np.int8)
    jail = np.where(status == Citizen.JAILED, rng.integers(0, 3, state.occupant.shape), 0).astype(np.int16)
    return UnrestState(
        occupant=state.occupant,
        status=status,
        jail_steps=jail,
        hardship=state.hardship,
        risk_aversion=state.risk_aversion,
        duty_rank=state.duty_rank,
    )


CASES = {
    "mesa-round": {},
    "paper-literal": dict(
        variant=Variant.PAPER, ratio_rounding=RatioRounding.LITERAL, turns=1, move_rounds=1, move_attempts=3
    ),
    "paper-floor": dict(
        variant=Variant.PAPER, ratio_rounding=RatioRounding.FLOOR, turns=1, move_rounds=1, move_attempts=1
    ),
    "same-vision": dict(citizen_vision=3, police_vision=3, turns=2, move_rounds=2, move_attempts=1),
    "no-movement": dict(movement=False, turns=3),
    "dense": dict(citizen_density=0.8, police_density=0.15, turns=7, move_rounds=3, move_attempts=4),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_engine_equals_reference(case, seed):
    params = _params(**CASES[case])
    state = _busy_state(params, seed)
    drivers = UnrestDrivers(
        legitimacy=np.array([0.2, 0.5, 0.8]),
        active_threshold=np.array([0.1, 0.05, 0.0]),
        police_on_duty=np.array([100, 3, 0]),
        perceived_risk_factor=np.array([1.0, 0.6, 1.0]),
    )
    words = np.random.default_rng(100 + seed).integers(
        0, 2**32, (draw_rows(params), params.height, params.width, 3), dtype=np.uint32
    )
    new_state, record = advance_with_words(state, params, drivers, words)
    expected_fields, expected_record = reference_step(state, params, drivers, words)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(new_state, name), expected_fields[name], err_msg=name)
    for name, values in expected_record.items():
        np.testing.assert_array_equal(getattr(record, name), values, err_msg=name)
    # The case must exercise the rules, or equality proves little.
    assert expected_record["active"].sum() > 0
    assert expected_record["arrests"].sum() > 0
    assert expected_record["moves"].sum() > 0 or not params.movement


def test_several_steps_stay_equal():
    """Ten steps in a row: differences would compound, so equality over a run is stronger."""
    params = _params()
    state = _busy_state(params, 7)
    reference_state = state
    drivers = UnrestDrivers.constant(3, legitimacy=0.4, active_threshold=0.1)
    rng = np.random.default_rng(5)
    for _ in range(10):
        words = rng.integers(0, 2**32, (draw_rows(params), params.height, params.width, 3), dtype=np.uint32)
        state, _ = advance_with_words(state, params, drivers, words)
        fields, _ = reference_step(reference_state, params, drivers, words)
        reference_state = UnrestState(**fields)
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(state, name), getattr(reference_state, name), err_msg=name)
