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
        out.extend((dy, dx) for dx in range(-span, span + 1) if (dy, dx) != (0, 0))
    return out


def scaled(word, n):
    return (int(word) * int(n)) >> 32


def reference_step(state, params, drivers, words):
    """One step of every grid; returns (fields dict of (G, H, W) arrays, record dict)."""
    occ = np.array(state.occupant)
    grids, height, width = occ.shape
    result_fields = {
        name: np.array(getattr(state, name))
        for name in ("occupant", "status", "jail_steps", "hardship", "risk_aversion", "duty_rank")
    }
    record = {"quiet": [], "active": [], "jailed": [], "arrests": [], "moves": []}
    for g in range(grids):
        fields, arrests, moves = _step_grid(
            {k: v[g].copy() for k, v in result_fields.items()}, params, drivers, words, g, grids
        )
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
    """One grid, one agent at a time. Agents are dicts; the grid maps cells to agents."""
    height, width = f["occupant"].shape
    word = lambda row, y, x: int(words[row, y, x, g])  # noqa: E731
    flat = lambda y, x: (y * width + x) * grids + g  # noqa: E731 - the engine's cells-first flat index
    legitimacy = float(drivers.legitimacy[g])
    threshold = float(drivers.active_threshold[g])
    on_duty_limit = int(drivers.police_on_duty[g])
    risk_factor = float(drivers.perceived_risk_factor[g])
    k = float(_param(params.arrest_constant, g))
    max_jail = int(_param(params.max_jail_steps, g))
    turns = params.turns

    # Build agents: each remembers its start cell, to read its own words.
    grid = {}
    agents = []
    for y in range(height):
        for x in range(width):
            kind = int(f["occupant"][y, x])
            if kind == EMPTY:
                continue
            agent = {
                "kind": kind,
                "status": int(f["status"][y, x]),
                "jail": int(f["jail_steps"][y, x]),
                "hardship": f["hardship"][y, x],
                "risk": f["risk_aversion"][y, x],
                "duty": int(f["duty_rank"][y, x]),
                "start": (y, x),
                "pos": (y, x),
                "key": word(0, y, x),
                "to_move": False,
                "attempts": 0,
            }
            agent["turn"] = scaled(agent["key"], turns)
            agent["priority"] = (agent["key"] << 32) | flat(y, x)
            grid[(y, x)] = agent
            agents.append(agent)

    def on_duty(agent):
        return agent["kind"] == POLICE and agent["duty"] < on_duty_limit

    def neighbours(pos, vision):
        y, x = pos
        return [((y + dy) % height, (x + dx) % width) for dy, dx in offsets(vision)]

    arrests = moves = 0
    move_row = 3
    for turn in range(turns):
        mine = [a for a in agents if a["turn"] == turn]
        # citizens of the turn: count down, or decide, all from the grid as it is now
        decisions = []
        for a in mine:
            if a["kind"] != CITIZEN:
                continue
            if a["status"] == JAILED and a["jail"] > 0:
                a["jail"] -= 1
                continue
            cops, actives = 0, 1
            for cell in neighbours(a["pos"], params.citizen_vision):
                other = grid.get(cell)
                if other is None:
                    continue
                cops += on_duty(other)
                actives += other["kind"] == CITIZEN and other["status"] == ACTIVE
            ratio = cops / actives
            rounding = str(params.ratio_rounding)
            if rounding == "round":
                ratio = float(round(ratio))
            elif rounding == "floor":
                ratio = float(math.floor(ratio))
            p = (1.0 - float(np.exp(np.float64(-k * ratio)))) * risk_factor
            grievance = float(a["hardship"]) * (1.0 - legitimacy)
            decisions.append((a, grievance - float(a["risk"]) * p > threshold))
        for a, active in decisions:
            a["status"] = ACTIVE if active else QUIET
        # officers of the turn: one pick, then a second for those who lost a conflict
        taken = set()
        pending = [a for a in mine if on_duty(a)]
        for row in (1, 2):
            claims = {}
            for officer in pending:
                visible = [
                    c
                    for c in neighbours(officer["pos"], params.police_vision)
                    if c not in taken
                    and grid.get(c) is not None
                    and grid[c]["kind"] == CITIZEN
                    and grid[c]["status"] == ACTIVE
                ]
                if not visible:
                    continue
                target = visible[scaled(word(row, *officer["start"]), len(visible))]
                claims.setdefault(target, []).append(officer)
            losers = []
            for target, officers in claims.items():
                officers.sort(key=lambda o: o["priority"])
                citizen = grid[target]
                citizen["status"] = JAILED
                citizen["jail"] = scaled(word(1, *citizen["start"]), max_jail + 1)
                taken.add(target)
                arrests += 1
                losers.extend(officers[1:])
            pending = losers
        if params.movement:
            for a in mine:
                if (a["kind"] == CITIZEN and a["status"] != JAILED) or on_duty(a):
                    a["to_move"] = True
            for a in agents:
                if a["status"] == JAILED and a["kind"] == CITIZEN:
                    a["to_move"] = False
            block = turn * params.move_rounds // turns
            last_of_block = turn == turns - 1 or (turn + 1) * params.move_rounds // turns != block
            if last_of_block:
                moves += _move_round(agents, grid, neighbours, move_row, word, params)
    if params.movement:
        for _ in range(params.move_attempts - 1):
            moves += _move_round(agents, grid, neighbours, move_row, word, params)

    # write back
    out = {name: np.zeros_like(f[name]) for name in f}
    out["duty_rank"][:] = -1
    for a in agents:
        y, x = a["pos"]
        out["occupant"][y, x] = a["kind"]
        out["status"][y, x] = a["status"]
        out["jail_steps"][y, x] = a["jail"]
        out["hardship"][y, x] = a["hardship"]
        out["risk_aversion"][y, x] = a["risk"]
        out["duty_rank"][y, x] = a["duty"]
    return out, arrests, moves


def _move_round(agents, grid, neighbours, row, word, params):
    """Movers pick among cells empty at the start of the round; the smallest priority wins."""
    empty_now = lambda cell: cell not in grid  # noqa: E731
    proposals = {}
    for a in agents:
        if not a["to_move"]:
            continue
        vision = params.police_vision if a["kind"] == POLICE else params.citizen_vision
        cells = neighbours(a["pos"], vision)
        empties = [c for c in cells if empty_now(c)]
        if not empties:
            continue
        target = None
        per_attempt = 3 if params.turns > 1 else 1  # two words of tries (several turns), then the rank
        first = row + per_attempt * a["attempts"]
        if params.turns > 1:
            usable = (256 // len(cells)) * len(cells)
            for tries_row in (first, first + 1):
                tries_word = word(tries_row, *a["start"])
                for t in range(4):
                    byte = (tries_word >> (8 * t)) & 0xFF
                    if byte < usable and empty_now(cells[byte % len(cells)]):
                        target = cells[byte % len(cells)]
                        break
                if target is not None:
                    break
        if target is None:
            target = empties[scaled(word(first + per_attempt - 1, *a["start"]), len(empties))]
        proposals.setdefault(target, []).append(a)
    moved = 0
    for target, claimants in proposals.items():
        winner = min(claimants, key=lambda a: a["priority"])
        for loser in claimants:
            if loser is not winner:
                loser["attempts"] += 1
                loser["to_move"] = loser["attempts"] < params.move_attempts
        del grid[winner["pos"]]
        winner["pos"] = target
        grid[target] = winner
        winner["to_move"] = False
        moved += 1
    return moved
