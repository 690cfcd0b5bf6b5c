"""Rule-level facts of the unrest engine, checked exactly, and Epstein's legitimacy result."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np
import pytest
from conformance import check_step

from offramp.model.streams import Stream, WorldStreams
from offramp.model.unrest import (
    Citizen,
    Occupant,
    RatioRounding,
    UnrestDrivers,
    UnrestParams,
    UnrestState,
    Variant,
    arrest_probability,
    citizen_counts,
    init_unrest,
    step_unrest,
)
from offramp.run.epstein import run_epstein
from offramp.scenario.epstein import EpsteinConfig, to_unrest_params


def _params(**overrides) -> UnrestParams:
    return to_unrest_params(EpsteinConfig(**overrides))


# --- the arrest probability --------------------------------------------------------------


def test_one_police_one_active_gives_one_minus_exp_minus_k():
    for rounding in RatioRounding:
        assert arrest_probability(1, 1, 2.3, rounding) == 1.0 - math.exp(-2.3)


@pytest.mark.parametrize(
    ("police", "actives", "rounding", "ratio"),
    [
        (1, 2, RatioRounding.LITERAL, 0.5),
        (1, 2, RatioRounding.ROUND, 0.0),  # half to even: round(0.5) == 0
        (3, 2, RatioRounding.ROUND, 2.0),  # round(1.5) == 2
        (5, 2, RatioRounding.ROUND, 2.0),  # round(2.5) == 2
        (3, 2, RatioRounding.FLOOR, 1.0),
        (2, 3, RatioRounding.FLOOR, 0.0),
        (0, 7, RatioRounding.LITERAL, 0.0),
    ],
)
def test_ratio_operator(police, actives, rounding, ratio):
    assert arrest_probability(police, actives, 2.3, rounding) == 1.0 - math.exp(-2.3 * ratio)


def _lone_pair(risk_aversion: float, hardship: float) -> UnrestState:
    """A 7x7 grid holding one citizen at (3, 3) and one police officer at (3, 5)."""
    occupant = np.zeros((1, 7, 7), np.int8)
    occupant[0, 3, 3], occupant[0, 3, 5] = Occupant.CITIZEN, Occupant.POLICE
    hardship_grid = np.zeros((1, 7, 7), np.float32)
    risk_grid = np.zeros((1, 7, 7), np.float32)
    hardship_grid[0, 3, 3], risk_grid[0, 3, 3] = hardship, risk_aversion
    duty = np.full((1, 7, 7), -1, np.int16)
    duty[0, 3, 5] = 0
    return UnrestState(
        occupant=occupant,
        status=np.zeros_like(occupant),
        jail_steps=np.zeros((1, 7, 7), np.int16),
        hardship=hardship_grid,
        risk_aversion=risk_grid,
        duty_rank=duty,
    )


@pytest.mark.parametrize(("risk_aversion", "expected"), [(0.875, Citizen.ACTIVE), (0.9, Citizen.QUIET)])
def test_engine_uses_one_minus_exp_for_one_police_in_vision(risk_aversion, expected):
    """G - R P > T with G = 0.9, T = 0.1, P = 1 - e^-2.3 = 0.8997: active iff R < 0.8892."""
    params = _params(width=7, height=7, citizen_vision=3, cop_vision=1, movement=False)
    state = _lone_pair(risk_aversion, hardship=0.9)
    drivers = UnrestDrivers.constant(1, legitimacy=0.0, active_threshold=0.1)
    new_state, _ = step_unrest(state, params, drivers, WorldStreams.for_worlds(0, [0], Stream.UNREST))
    # The officer sees only its 4 neighbours (vision 1), so it cannot arrest the citizen.
    assert new_state.status[0, 3, 3] == expected


@pytest.mark.parametrize("legitimacy", [0.0, 0.35, 0.6, 0.85])
@pytest.mark.parametrize("variant", list(Variant))
def test_without_police_active_iff_grievance_exceeds_threshold(legitimacy, variant):
    params = _params(cop_density=0.0, movement=False, variant=variant)
    streams = WorldStreams.for_worlds(4, range(5), Stream.UNREST)
    state = init_unrest(params, streams)
    drivers = UnrestDrivers.constant(5, legitimacy=legitimacy, active_threshold=0.1)
    new_state, _ = step_unrest(state, params, drivers, streams)
    is_citizen = state.occupant == Occupant.CITIZEN
    expected = is_citizen & (state.hardship.astype(np.float64) * (1.0 - legitimacy) > 0.1)
    np.testing.assert_array_equal(new_state.status == Citizen.ACTIVE, expected)
    assert expected.any() == (legitimacy < 0.9)


@pytest.mark.parametrize("legitimacy", [0.0, 0.3, 0.6, 0.85])
@pytest.mark.parametrize("variant", list(Variant))
def test_without_police_the_active_share_is_one_minus_t_over_one_minus_l(legitimacy, variant):
    """Epstein's fact: with no police, P = 0 and a citizen is active iff H (1 - L) > T; with
    H ~ U(0, 1) the expected active share is 1 - T / (1 - L) (0 when T >= 1 - L), at every
    step, with movement or not.

    H is quantized to 2**-24, so the exact expectation is within 1e-7 of the formula. The
    share over n = 16 x 40 x 40 x 0.7 (about 18,000) citizens has a standard error of at most
    0.5 / sqrt(n) = 0.0037; we allow 4.9 standard errors (two-sided alpha = 1e-6).
    """
    config = EpsteinConfig(legitimacy=legitimacy, variant=variant, cop_density=0.0)
    run = run_epstein(config, worlds=16, steps=5, seed=3)
    share = run.counts[:, 1:, Citizen.ACTIVE].sum(axis=0) / run.citizens.sum()
    expected = max(0.0, 1.0 - 0.1 / (1.0 - legitimacy))
    n = run.citizens.sum()
    assert np.abs(share - expected).max() < 4.9 * math.sqrt(0.25 / n), (share, expected)
    assert np.all(share == share[0])  # nobody's state can change without police


@pytest.mark.parametrize("legitimacy", [0.9, 0.95, 1.0])
@pytest.mark.parametrize("variant", list(Variant))
@pytest.mark.parametrize("cop_density", [0.0, 0.074])
def test_nobody_is_ever_active_at_high_legitimacy(legitimacy, variant, cop_density):
    """L >= 0.9 with T = 0.1: G = H (1 - L) < 0.1 for every H < 1, so nobody turns active,
    with police or without."""
    config = EpsteinConfig(legitimacy=legitimacy, variant=variant, cop_density=cop_density, width=20, height=20)
    run = run_epstein(config, worlds=16, steps=60, seed=2)
    assert run.counts[:, :, Citizen.ACTIVE].max() == 0
    # ... while just below, with no police at all, many are.
    below = run_epstein(config.model_copy(update={"legitimacy": 0.8, "cop_density": 0.0}), worlds=4, steps=5, seed=2)
    assert below.counts[:, 1:, Citizen.ACTIVE].min() > 0


def test_jail_terms_stay_within_max_jail_term():
    """With J_max = 2, no citizen can stay jailed more than J_max + 1 consecutive counts."""
    params = _params(width=20, height=20, max_jail_term=2, legitimacy=0.5, cop_density=0.1)
    streams = WorldStreams.for_worlds(5, range(4), Stream.UNREST)
    state = init_unrest(params, streams)
    drivers = UnrestDrivers.constant(4, legitimacy=0.5, active_threshold=0.1)
    for _ in range(20):
        state, record = step_unrest(state, params, drivers, streams)
        assert state.jail_steps.max() <= 2
        assert state.jail_steps.min() >= 0
    assert record.arrests.sum() > 0


# --- contracts: determinism, batch invariance, inputs untouched ----------------------------


def _digest(state: UnrestState) -> str:
    h = hashlib.sha256()
    for name in UnrestState.__slots__:
        h.update(np.ascontiguousarray(getattr(state, name)).tobytes())
    return h.hexdigest()


def _run_worlds(worlds, params, steps=15, seed=9, threads=1):
    streams = WorldStreams.for_worlds(seed, worlds, Stream.UNREST)
    state = init_unrest(params, streams)
    drivers = UnrestDrivers.constant(len(worlds), legitimacy=0.6, active_threshold=0.1)
    counts = [citizen_counts(state)]
    for _ in range(steps):
        state, _ = step_unrest(state, params, drivers, streams, threads=threads)
        counts.append(citizen_counts(state))
    return state, np.stack(counts, axis=1)


@pytest.mark.parametrize("variant", list(Variant))
def test_world_is_the_same_in_any_batch(variant):
    params = _params(width=16, height=16, citizen_vision=3, cop_vision=3, variant=variant, legitimacy=0.6)
    alone_state, alone = _run_worlds([5], params)
    batch_state, batch = _run_worlds(list(range(7)), params)
    shuffled = [6, 5, 0, 3, 2, 4, 1]
    shuffled_state, permuted = _run_worlds(shuffled, params)
    np.testing.assert_array_equal(alone[0], batch[5])
    np.testing.assert_array_equal(alone[0], permuted[1])
    np.testing.assert_array_equal(batch[shuffled], permuted)
    for name in UnrestState.__slots__:
        np.testing.assert_array_equal(getattr(alone_state, name)[0], getattr(batch_state, name)[5])
        np.testing.assert_array_equal(getattr(batch_state, name)[shuffled], getattr(shuffled_state, name))
    assert alone[0, :, Citizen.JAILED].max() > 0  # the world did something worth comparing


@pytest.mark.parametrize("variant", list(Variant))
def test_threads_do_not_change_results(variant):
    """The kernel's grids split between threads: every field and count identical."""
    params = _params(width=16, height=16, citizen_vision=3, cop_vision=3, variant=variant, legitimacy=0.6)
    one, one_counts = _run_worlds(list(range(7)), params, threads=1)
    for threads in (2, 3):
        many, many_counts = _run_worlds(list(range(7)), params, threads=threads)
        assert _digest(one) == _digest(many)
        np.testing.assert_array_equal(one_counts, many_counts)
    assert one_counts[:, :, Citizen.JAILED].max() > 0


@pytest.mark.parametrize("variant", list(Variant))
def test_regions_of_a_world_are_the_same_in_any_batch(variant):
    """The coupled model's layout: one generator per world for its K grids."""
    params = _params(width=12, height=12, citizen_vision=3, cop_vision=3, variant=variant, legitimacy=0.6)

    def run(worlds):
        streams = WorldStreams.for_worlds(9, worlds, Stream.UNREST)
        state = init_unrest(params, streams, grids_per_stream=3)
        drivers = UnrestDrivers.constant(3 * len(worlds), legitimacy=0.6, active_threshold=0.1)
        for _ in range(10):
            state, record = step_unrest(state, params, drivers, streams)
        return state, record

    alone, alone_record = run([4])
    batch, batch_record = run([2, 4, 0])
    for name in UnrestState.__slots__:
        np.testing.assert_array_equal(getattr(alone, name), getattr(batch, name)[3:6])
    np.testing.assert_array_equal(alone_record.jailed, batch_record.jailed[3:6])
    assert alone_record.jailed.sum() > 0


def test_an_empty_batch_steps():
    """No grids left (every world of a chunk has ended): a step is a no-op, not an error."""
    params = _params(width=12, height=12, citizen_vision=3, cop_vision=3)
    streams = WorldStreams.for_worlds(0, [], Stream.UNREST)
    state, record = step_unrest(init_unrest(params, streams), params, UnrestDrivers.constant(0, 0.5, 0.1), streams)
    assert state.occupant.shape == (0, 12, 12) and record.active.shape == (0,)


def test_words_are_those_of_the_world_streams():
    """The engine's words (``WorldStreams.bits32``) are each generator's raw 64-bit output
    read as uint32 pairs, its block drawn (rows, cells, grids) and laid out grids-first;
    a world's words are the same alone as in a batch."""
    for per_stream in (1, 3):
        got = WorldStreams.for_worlds(1, range(4), Stream.UNREST).bits32((5, 7), per_stream)
        assert got.shape == (4 * per_stream, 5, 7) and got.dtype == np.uint32
        count = 5 * 7 * per_stream
        for i, generator in enumerate(WorldStreams.for_worlds(1, range(4), Stream.UNREST).generators):
            raw = generator.bit_generator.random_raw((count + 1) // 2).view(np.uint32)[:count]
            block = raw.reshape(5, 7, per_stream).transpose(2, 0, 1)
            np.testing.assert_array_equal(got[i * per_stream : (i + 1) * per_stream], block)
        alone = WorldStreams.for_worlds(1, [2], Stream.UNREST).bits32((5, 7), per_stream)
        np.testing.assert_array_equal(alone, got[2 * per_stream : 3 * per_stream])


def test_same_seed_same_numbers_other_seed_other_numbers():
    params = _params(width=16, height=16, citizen_vision=3, cop_vision=3)
    a, _ = _run_worlds([0, 1], params, seed=1)
    b, _ = _run_worlds([0, 1], params, seed=1)
    c, _ = _run_worlds([0, 1], params, seed=2)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_step_does_not_touch_its_inputs():
    params = _params(width=16, height=16, citizen_vision=3, cop_vision=3)
    streams = WorldStreams.for_worlds(1, range(3), Stream.UNREST)
    state = init_unrest(params, streams)
    drivers = UnrestDrivers.constant(3, legitimacy=0.5, active_threshold=0.1)
    before = _digest(state)
    drivers_before = [np.array(getattr(drivers, n)).copy() for n in UnrestDrivers.__slots__]
    for _ in range(3):
        new_state, _ = step_unrest(state, params, drivers, streams)
        assert _digest(state) == before
        state, before = new_state, _digest(new_state)
    for name, old in zip(UnrestDrivers.__slots__, drivers_before, strict=True):
        np.testing.assert_array_equal(getattr(drivers, name), old)


def test_state_dtypes_and_shapes_are_kept():
    params = _params(width=12, height=10, citizen_vision=3, cop_vision=2)
    streams = WorldStreams.for_worlds(1, range(2), Stream.UNREST)
    state = init_unrest(params, streams)
    new_state, record = step_unrest(state, params, UnrestDrivers.constant(2, 0.5, 0.1), streams)
    for name in UnrestState.__slots__:
        assert getattr(new_state, name).shape == (2, 10, 12)
        assert getattr(new_state, name).dtype == getattr(state, name).dtype
    assert record.active.shape == (2,)
    bytes_per_cell = sum(getattr(state, n).itemsize for n in UnrestState.__slots__)
    assert bytes_per_cell == 14


def test_police_off_duty_neither_arrest_nor_move():
    params = _params(width=20, height=20, legitimacy=0.3, cop_density=0.1)
    streams = WorldStreams.for_worlds(3, range(2), Stream.UNREST)
    state = init_unrest(params, streams)
    police = state.occupant == Occupant.POLICE
    drivers = UnrestDrivers.constant(2, legitimacy=0.3, active_threshold=0.1, police_on_duty=0)
    new_state, record = step_unrest(state, params, drivers, streams)
    assert record.arrests.sum() == 0
    np.testing.assert_array_equal(new_state.occupant == Occupant.POLICE, police)
    on_duty = UnrestDrivers.constant(2, legitimacy=0.3, active_threshold=0.1)
    _, record = step_unrest(state, params, on_duty, streams)
    assert record.arrests.sum() > 0


# --- Epstein's qualitative result ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "rounding"), [("mesa", "round"), ("paper", "floor")])
def test_sudden_drop_of_legitimacy_sets_off_a_larger_outburst_than_a_gradual_decline(variant, rounding):
    """Epstein 2002, Figs. 9-10: legitimacy falling at once (0.9 -> 0.7 at step 50) sets off
    a larger outburst than legitimacy falling gradually to an even lower level (0.9 -> 0.6
    over steps 50-130), Run 1-2's police density 0.04, vision 7, J_max "infinite" (30000).

    Outcome per world: the peak active share after step 50. Test: one-sided Welch t on 24
    worlds each (common seeds); we demand t > 3.1 (p < 0.001 one-sided at ~46 d.o.f.) and
    a sudden mean at least twice the gradual mean. The operator is Mesa's round or
    NetLogo's floor: with the literal C/A there are no outbursts (REFERENCES.md).
    """
    common = dict(variant=variant, ratio_rounding=rounding, legitimacy=0.9, cop_density=0.04, max_jail_term=30000)
    sudden = EpsteinConfig(**common, legitimacy_change="sudden", legitimacy_to=0.7, change_start=50)
    gradual = EpsteinConfig(**common, legitimacy_change="gradual", legitimacy_to=0.6, change_start=50, change_end=130)
    peaks = {}
    for name, config in (("sudden", sudden), ("gradual", gradual)):
        run = run_epstein(config, worlds=24, steps=140, seed=21)
        share = run.counts[:, :, Citizen.ACTIVE] / run.citizens[:, None]
        peaks[name] = share[:, 50:].max(axis=1)
    s, g = peaks["sudden"], peaks["gradual"]
    t = (s.mean() - g.mean()) / math.sqrt(s.var(ddof=1) / s.size + g.var(ddof=1) / g.size)
    assert t > 3.1, (s.mean(), g.mean(), t)
    assert s.mean() > 2 * g.mean()


# --- the contract suite -----------------------------------------------------------------


def _conformance_inputs(variant: Variant, n_worlds: int = 64):
    """B = 64 grids (one per world) of 14 x 16 cells, with every per-grid parameter and
    driver different in every world, so that a row taken from the wrong world shows."""

    def spread(low: float, high: float) -> np.ndarray:
        return np.linspace(low, high, n_worlds)

    params = dataclasses.replace(
        _params(width=16, height=14, citizen_vision=3, cop_vision=2, variant=variant, max_jail_term=5),
        citizen_density=spread(0.5, 0.8),
        police_density=spread(0.1, 0.03),
        max_jail_steps=np.arange(n_worlds, dtype=np.int64) % 6 + 1,
        arrest_constant=spread(1.5, 3.5),
    )
    state = init_unrest(params, WorldStreams.for_worlds(77, range(n_worlds), Stream.UNREST))
    drivers = UnrestDrivers(
        legitimacy=spread(0.3, 0.8),
        active_threshold=spread(0.05, 0.2),
        police_on_duty=np.arange(n_worlds, dtype=np.int64) % 12,
        perceived_risk_factor=spread(1.0, 0.5),
    )
    return state, params, drivers


@pytest.mark.parametrize("variant", list(Variant))
def test_unrest_conformance(variant):
    """The contract suite of every step (tests/conformance.py): shapes and dtypes kept,
    inputs untouched, the same seed reproduces and another seed does not, world i the
    same alone, in the batch and in a permuted batch."""
    state, params, drivers = _conformance_inputs(variant)
    check_step(step_unrest, state, params, drivers, Stream.UNREST, seed=31, n_steps=4)
    # Not vacuous: in one step citizens turn active, police arrest and agents move.
    _, record = step_unrest(state, params, drivers, WorldStreams.for_worlds(31, range(64), Stream.UNREST))
    assert record.active.sum() > 0 and record.arrests.sum() > 0 and record.moves.sum() > 0


# --- the kernel's on-disk cache ---------------------------------------------------------


def test_the_kernel_cache_falls_back_to_a_temporary_folder_only_when_numba_has_none():
    """Here Numba can write one of its own places, so nothing is changed; where none of its
    locators can be written (a read-only install), the kernel gets a temporary folder
    instead of Numba refusing to define it."""
    from offramp.model import unrest_kernel

    assert unrest_kernel.cache_fallback() is None

    class Unwritable:
        @classmethod
        def from_function(cls, py_func, py_file):
            return None

    class Writable:
        @classmethod
        def from_function(cls, py_func, py_file):
            return object()

    folder = unrest_kernel.cache_fallback([Unwritable, Unwritable])
    assert folder is not None and "offramp-numba-cache" in folder
    assert unrest_kernel.cache_fallback([Unwritable, Writable]) is None
