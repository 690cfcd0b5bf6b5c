"""A slow, loop-based reference of the unrest engine's rules, for differential tests.

Written from the rules in ``offramp.model.unrest``'s docstring, one agent at a time, in
plain Python: no NumPy array operations beyond reading and writing single elements. It
consumes the same random words as the engine (uint32, (rows, H, W, G)), so from the same
state both must give exactly the same next state.
"""

from __future__ import annotations

import math

import numpy as np

EMPTY, CITIZEN, POLICE = 0, 1, 2
QUIET, ACTIVE, JAILED = 0, 1, 2


def offsets(vision):
    """The diamond's cells in canonical order: dy ascending, then dx ascending, centre out."""
    out = []
    for dy in range(-vision, vision + 1):
        span = vision - abs(dy)
        for dx in range(-span, span + 1):
            if (dy, dx) != (0, 0):
                out.append((dy, dx))
    return out


def scaled(word, n):
    return (int(word) * int(n)) >> 32


def reference_step(state, params, drivers, words):
    """One step of every grid; returns (fields dict of (G, H, W) arrays, record dict)."""
    occ = np.array(state.occupant)
    grids, height, width = occ.shape
    result_fields = {name: np.array(getattr(state, name)) for name in
                     ("occupant", "status", "jail_steps", "hardship", "risk_aversion", "duty_rank")}
    record = {"quiet": [], "active": [], "jailed": [], "arrests": [], "moves": []}
    for g in range(grids):
        fields, arrests, moves = _step_grid({k: v[g].copy() for k, v in result_fields.items()}, params, drivers, words, g, grids)
        for k in result_fields:
            result_fields[k][g] = fields[k]
        record["arrests"].append(arrests)
        record["moves"].append(moves)
        quiet = active = jailed = 0
        for y in range(height):
            for x in range(width):
                if fields["occupant"][y, x] == CITIZEN:
                    s = fields["status"][y, x]
                    quiet += s == QUIET
                    active += s == ACTIVE
                    jailed += s == JAILED
        record["quiet"].append(quiet)
        record["active"].append(active)
        record["jailed"].append(jailed)
    return result_fields, {k: np.array(v, dtype=np.int64) for k, v in record.items()}


def _param(value, g):
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array[g].item()


def _step_grid(f, params, drivers, words, g, grids):
    height, width = f["occupant"].shape
    mesa = str(params.variant) == "mesa"
    word = lambda row, y, x: int(words[row, y, x, g])  # noqa: E731
    flat = lambda y, x: (y * width + x) * grids + g  # noqa: E731 - the engine's cells-first flat index
    legitimacy = float(drivers.legitimacy[g])
    threshold = float(drivers.active_threshold[g])
    on_duty_limit = int(drivers.police_on_duty[g])
    risk_factor = float(drivers.perceived_risk_factor[g])
    k = float(_param(params.arrest_constant, g))
    max_jail = int(_param(params.max_jail_steps, g))

    occ, status, jail = f["occupant"], f["status"], f["jail_steps"]
    on_duty = [[occ[y, x] == POLICE and f["duty_rank"][y, x] < on_duty_limit for x in range(width)] for y in range(height)]
    was_active = [[occ[y, x] == CITIZEN and status[y, x] == ACTIVE for x in range(width)] for y in range(height)]
    order = [[word(0, y, x) for x in range(width)] for y in range(height)]

    # jail countdown
    free = [[False] * width for _ in range(height)]
    for y in range(height):
        for x in range(width):
            if occ[y, x] != CITIZEN:
                continue
            if status[y, x] == JAILED and jail[y, x] > 0:
                jail[y, x] -= 1
            else:
                free[y][x] = True

    # activation
    new_active = [[False] * width for _ in range(height)]
    for y in range(height):
        for x in range(width):
            if not free[y][x]:
                continue
            cops, actives = 0, 1
            for dy, dx in offsets(params.citizen_vision):
                yy, xx = (y + dy) % height, (x + dx) % width
                cops += on_duty[yy][xx]
                actives += was_active[yy][xx]
            ratio = cops / actives
            rounding = str(params.ratio_rounding)
            if rounding == "round":
                ratio = float(round(ratio))
            elif rounding == "floor":
                ratio = float(math.floor(ratio))
            p = (1.0 - float(np.exp(np.float64(-k * ratio)))) * risk_factor
            grievance = float(f["hardship"][y, x]) * (1.0 - legitimacy)
            new_active[y][x] = grievance - float(f["risk_aversion"][y, x]) * p > threshold
            status[y, x] = ACTIVE if new_active[y][x] else QUIET

    # arrests: round 1 then round 2 for officers who lost a conflict
    taken = set()
    arrests = []  # (officer y, x, citizen y, x)
    pending = [(y, x) for y in range(height) for x in range(width) if on_duty[y][x]]
    for row in (1, 2):
        claims = {}
        still = []
        for y, x in pending:
            visible = []
            for dy, dx in offsets(params.police_vision):
                yy, xx = (y + dy) % height, (x + dx) % width
                if (yy, xx) in taken:
                    continue
                if mesa:
                    seen = new_active[yy][xx] if order[yy][xx] < order[y][x] else was_active[yy][xx]
                else:
                    seen = new_active[yy][xx]
                if seen:
                    visible.append((yy, xx))
            if not visible:
                continue
            target = visible[scaled(word(row, y, x), len(visible))]
            priority = (order[y][x] << 32) | flat(y, x)
            claims.setdefault(target, []).append((priority, (y, x)))
            still.append((y, x))
        winners = set()
        for target, claimants in claims.items():
            _, officer = min(claimants)
            arrests.append((officer, target))
            taken.add(target)
            winners.add(officer)
        pending = [o for o in still if o not in winners]
    for (oy, ox), (cy, cx) in arrests:
        term = scaled(word(1, cy, cx), max_jail + 1)
        if mesa and order[oy][ox] < order[cy][cx]:
            term -= 1
        if term >= 0:
            status[cy, cx] = JAILED
            jail[cy, cx] = term

    # movement
    moves = 0
    if params.movement:
        priority = {(y, x): (order[y][x] << 32) | flat(y, x) for y in range(height) for x in range(width)}
        mover = {(y, x) for y in range(height) for x in range(width)
                 if on_duty[y][x] or (occ[y, x] == CITIZEN and status[y, x] != JAILED)}
        for r in range(params.move_rounds):
            empty = [[occ[y, x] == EMPTY for x in range(width)] for y in range(height)]
            proposals = {}
            for (y, x) in sorted(mover):
                vision = params.police_vision if occ[y, x] == POLICE else params.citizen_vision
                empties = [((y + dy) % height, (x + dx) % width) for dy, dx in offsets(vision)
                           if empty[(y + dy) % height][(x + dx) % width]]
                if not empties:
                    continue
                target = empties[scaled(word(3 + r, y, x), len(empties))]
                proposals.setdefault(target, []).append((priority[(y, x)], (y, x)))
            if not proposals:
                break
            for target, claimants in proposals.items():
                _, (y, x) = min(claimants)
                ty, tx = target
                for name in f:
                    f[name][ty, tx] = f[name][y, x]
                occ[y, x], status[y, x], jail[y, x] = EMPTY, QUIET, 0
                f["hardship"][y, x] = 0
                f["risk_aversion"][y, x] = 0
                f["duty_rank"][y, x] = -1
                priority[target] = priority[(y, x)]
                mover.discard((y, x))
                moves += 1
    return f, len(arrests), moves
