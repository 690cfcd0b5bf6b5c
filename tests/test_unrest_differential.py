"""Differential test: the compiled unrest kernel against the loop-based reference.

Both are stepped from the same state with the same random words; every field of the next
state and every count must be identical (integers exactly, floats bit for bit, since the
engine only moves them). The reference (tests/reference_unrest.py) is written one agent
at a time from the rules, Mesa's ``Citizen.step`` and ``Cop.step`` for the ``mesa``
variant, with none of the kernel's devices.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from reference_unrest import FIELDS, reference_step

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
    step_unrest,
)


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
        move_attempts=2,
    )
    base.update(overrides)
    return UnrestParams(**base)


def _busy_state(params: UnrestParams, seed: int, grids: int = 3) -> UnrestState:
    """A state with every citizen status present: some active, some jailed with short terms."""
    state = init_unrest(params, WorldStreams.for_worlds(seed, range(grids), Stream.UNREST))
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


def _drivers() -> UnrestDrivers:
    """Three grids: every officer on duty / three / none; perceived risk lowered in one."""
    return UnrestDrivers(
        legitimacy=np.array([0.2, 0.5, 0.8]),
        active_threshold=np.array([0.1, 0.05, 0.0]),
        police_on_duty=np.array([100, 3, 0]),
        perceived_risk_factor=np.array([1.0, 0.6, 1.0]),
    )


def _words(params: UnrestParams, seed: int, grids: int = 3) -> np.ndarray:
    return np.random.default_rng(100 + seed).integers(
        0, 2**32, (grids, draw_rows(params), params.height, params.width), dtype=np.uint32
    )


def _assert_same(new_state, record, expected_fields, expected_record):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(new_state, name), expected_fields[name], err_msg=name)
    for name, values in expected_record.items():
        np.testing.assert_array_equal(getattr(record, name), values, err_msg=name)


CASES = {
    "round": {},
    "literal": dict(ratio_rounding=RatioRounding.LITERAL),
    "floor": dict(ratio_rounding=RatioRounding.FLOOR),
    "same-vision": dict(citizen_vision=3, police_vision=3),
    "police-see-less": dict(citizen_vision=4, police_vision=1, height=12, width=10),
    "no-movement": dict(movement=False),
    "dense": dict(citizen_density=0.8, police_density=0.15, move_attempts=4),
    "sparse": dict(
        citizen_density=0.3, police_density=0.05, move_attempts=1, arrest_constant=np.array([0.5, 2.3, 9.0])
    ),
    "long-jail": dict(max_jail_steps=np.array([30000, 1000, 15])),
}


@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_equals_reference(variant, case, seed):
    params = _params(variant=variant, **CASES[case])
    state = _busy_state(params, seed)
    words = _words(params, seed)
    new_state, record = advance_with_words(state, params, _drivers(), words)
    expected_fields, expected_record = reference_step(state, params, _drivers(), words)
    _assert_same(new_state, record, expected_fields, expected_record)
    # The case must exercise the rules, or equality proves little.
    assert expected_record["active"].sum() > 0
    assert expected_record["arrests"].sum() > 0
    assert expected_record["moves"].sum() > 0 or not params.movement


def test_only_the_paper_variant_reads_move_attempts():
    """``mesa`` contests no cell, so ``move_attempts`` changes neither the words it draws
    nor its step; under ``paper`` the same change does show (more rounds, more moves on a
    crowded grid), so the comparison can tell."""
    crowded = _params(citizen_density=0.8, police_density=0.15)
    records = {}
    for variant in Variant:
        for attempts in (1, 8):
            params = dataclasses.replace(crowded, variant=variant, move_attempts=attempts)
            streams = WorldStreams.for_worlds(9, range(3), Stream.UNREST)
            records[variant, attempts] = step_unrest(_busy_state(params, 5), params, _drivers(), streams)
    (one, one_record), (eight, eight_record) = records[Variant.MESA, 1], records[Variant.MESA, 8]
    expected_record = {name: getattr(eight_record, name) for name in ("quiet", "active", "jailed", "arrests", "moves")}
    _assert_same(one, one_record, {name: getattr(eight, name) for name in FIELDS}, expected_record)
    assert records[Variant.PAPER, 1][1].moves.sum() < records[Variant.PAPER, 8][1].moves.sum()


@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("seed", [3, 4])
def test_several_steps_stay_equal(variant, seed):
    """Twelve steps in a row: differences would compound, so equality over a run is stronger.
    Drivers change between steps (legitimacy, police on duty), as in the coupled model."""
    params = _params(variant=variant, height=12, width=13, citizen_vision=3, police_vision=2)
    state = _busy_state(params, seed)
    reference_state = state
    rng = np.random.default_rng(seed)
    for step in range(12):
        drivers = UnrestDrivers(
            legitimacy=np.array([0.3, 0.6, 0.75]) - 0.02 * step,
            active_threshold=np.full(3, 0.1),
            police_on_duty=np.array([100, 4 + step % 3, step % 2]),
            perceived_risk_factor=np.array([1.0, 0.8, 0.5]),
        )
        words = rng.integers(0, 2**32, (3, draw_rows(params), params.height, params.width), dtype=np.uint32)
        state, record = advance_with_words(state, params, drivers, words)
        fields, expected = reference_step(reference_state, params, drivers, words)
        reference_state = UnrestState(**fields)
        _assert_same(state, record, fields, expected)


@pytest.mark.parametrize("variant", list(Variant))
def test_random_configurations_stay_equal(variant):
    """Grid sizes, densities, visions and jail terms drawn at random (fixed seed), three
    steps each, from the engine's own initial states."""
    rng = np.random.default_rng(11 if variant == Variant.MESA else 12)
    for trial in range(12):
        vision_c, vision_p = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        reach = max(vision_c, vision_p)
        citizens = float(rng.uniform(0.2, 0.85))
        params = _params(
            variant=variant,
            height=int(rng.integers(2 * reach + 1, 16)),
            width=int(rng.integers(2 * reach + 1, 16)),
            citizen_density=citizens,
            police_density=float(rng.uniform(0.0, min(0.2, 1.0 - citizens))),
            citizen_vision=vision_c,
            police_vision=vision_p,
            max_jail_steps=rng.integers(0, 40, 2),
            ratio_rounding=list(RatioRounding)[trial % 3],
            movement=bool(trial % 4),
            move_attempts=int(rng.integers(1, 4)),
        )
        state = init_unrest(params, WorldStreams.for_worlds(trial, range(2), Stream.UNREST))
        reference_state = state
        drivers = UnrestDrivers(
            legitimacy=rng.uniform(0.0, 0.9, 2),
            active_threshold=rng.uniform(0.0, 0.2, 2),
            police_on_duty=rng.integers(0, 30, 2),
            perceived_risk_factor=rng.uniform(0.0, 1.0, 2),
        )
        for _ in range(3):
            words = rng.integers(0, 2**32, (2, draw_rows(params), params.height, params.width), dtype=np.uint32)
            state, record = advance_with_words(state, params, drivers, words)
            fields, expected = reference_step(reference_state, params, drivers, words)
            reference_state = UnrestState(**fields)
            _assert_same(state, record, fields, expected)
