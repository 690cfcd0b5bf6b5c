"""A slow, loop-based reference of the unrest engine's rules, for differential tests.

Written from the rules in ``offramp.model.unrest``'s docstring, one agent at a time, in
plain Python: no NumPy array operations beyond reading and writing single elements, and
none of the kernel's devices (packed counts, padding, row sums). It consumes the same
random words as the engine (uint32, (G, rows, H, W)), so from the same state both must
give exactly the same next state.

- ``mesa``: Mesa's random sequential activation, written after Mesa's own ``Citizen.step``
  and ``Cop.step``: a Fisher-Yates shuffle of the agents, then each agent in turn.
- ``paper``: the simultaneous update (the former whole-array engine with one turn).
"""

from __future__ import annotations

import math

import numpy as np

EMPTY, CITIZEN, POLICE = 0, 1, 2
QUIET, ACTIVE, JAILED = 0, 1, 2
FIELDS = ("occupant", "status", "jail_steps", "hardship", "risk_aversion", "duty_rank")


def offsets(vision):
    """The diamond's cells in canonical order: dy ascending, then dx ascending, centre out."""
    out = []
    for dy in range(-vision, vision + 1):
        span = vision - abs(dy)
        out.extend((dy, dx) for dx in range(-span, span + 1) if (dy, dx) != (0, 0))
    return out


def scaled(word, n):
    """Uniform integer in 0 .. n-1 from a 32-bit word."""
    return (int(word) * int(n)) >> 32


def reference_step(state, params, drivers, words):
    """One step of every grid; returns (fields dict of (G, H, W) arrays, record dict)."""
    grids = np.asarray(state.occupant).shape[0]
    result_fields = {name: np.array(getattr(state, name)) for name in FIELDS}
    record = {"quiet": [], "active": [], "jailed": [], "arrests": [], "moves": []}
    sequential = str(params.variant) == "mesa"
    for g in range(grids):
        world = _Grid({k: v[g].copy() for k, v in result_fields.items()}, params, drivers, words[g], g)
        arrests, moves = world.step_sequential() if sequential else world.step_simultaneous()
        fields = world.write_back()
        for k in result_fields:
            result_fields[k][g] = fields[k]
        record["arrests"].append(arrests)
        record["moves"].append(moves)
        counts = {QUIET: 0, ACTIVE: 0, JAILED: 0}
        for agent in world.agents:
            if agent["kind"] == CITIZEN:
                counts[agent["status"]] += 1
        record["quiet"].append(counts[QUIET])
        record["active"].append(counts[ACTIVE])
        record["jailed"].append(counts[JAILED])
    return result_fields, {k: np.array(v, dtype=np.int64) for k, v in record.items()}


def _param(value, g):
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array[g].item()


class _Grid:
    """One grid: agents are dicts; ``grid`` maps cells to agents."""

    def __init__(self, f, params, drivers, words, g):
        self.height, self.width = f["occupant"].shape
        self.params = params
        self.words = words
        self.legitimacy = float(drivers.legitimacy[g])
        self.threshold = float(drivers.active_threshold[g])
        self.on_duty_limit = int(drivers.police_on_duty[g])
        self.risk_factor = float(drivers.perceived_risk_factor[g])
        self.k = float(_param(params.arrest_constant, g))
        self.max_jail = int(_param(params.max_jail_steps, g))
        self.shape = f
        self.grid = {}
        self.agents = []
        for y in range(self.height):
            for x in range(self.width):
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
                }
                self.grid[(y, x)] = agent
                self.agents.append(agent)

    # --- helpers --------------------------------------------------------------------

    def word(self, row, cell):
        return int(self.words[row, cell[0], cell[1]])

    def on_duty(self, agent):
        return agent["kind"] == POLICE and agent["duty"] < self.on_duty_limit

    def neighbours(self, pos, vision):
        y, x = pos
        return [((y + dy) % self.height, (x + dx) % self.width) for dy, dx in offsets(vision)]

    def vision(self, agent):
        return self.params.police_vision if agent["kind"] == POLICE else self.params.citizen_vision

    def is_active(self, cell):
        other = self.grid.get(cell)
        return other is not None and other["kind"] == CITIZEN and other["status"] == ACTIVE

    def decides_active(self, agent):
        """Epstein's rule from the grid as it is now (Mesa's update_estimated_arrest_probability)."""
        cops, actives = 0, 1  # the citizen counts herself
        for cell in self.neighbours(agent["pos"], self.params.citizen_vision):
            other = self.grid.get(cell)
            if other is None:
                continue
            cops += self.on_duty(other)
            actives += other["kind"] == CITIZEN and other["status"] == ACTIVE
        ratio = cops / actives
        rounding = str(self.params.ratio_rounding)
        if rounding == "round":
            ratio = float(round(ratio))  # Python's round: half to even
        elif rounding == "floor":
            ratio = float(math.floor(ratio))
        p = (1.0 - float(np.exp(np.float64(-self.k * ratio)))) * self.risk_factor
        grievance = float(agent["hardship"]) * (1.0 - self.legitimacy)
        return grievance - float(agent["risk"]) * p > self.threshold

    def move_to(self, agent, target):
        del self.grid[agent["pos"]]
        agent["pos"] = target
        self.grid[target] = agent

    def write_back(self):
        out = {name: np.zeros_like(self.shape[name]) for name in FIELDS}
        out["duty_rank"][:] = -1
        for a in self.agents:
            y, x = a["pos"]
            out["occupant"][y, x] = a["kind"]
            out["status"][y, x] = a["status"]
            out["jail_steps"][y, x] = a["jail"]
            out["hardship"][y, x] = a["hardship"]
            out["risk_aversion"][y, x] = a["risk"]
            out["duty_rank"][y, x] = a["duty"]
        return out

    # --- mesa: random sequential activation -------------------------------------------

    def step_sequential(self):
        """Rows: 0 shuffle (word i for the i-th swap); the agent k-th in the order reads
        word k of row 1 (an officer's pick), 2 (the jail term it gives) and 3 (move)."""
        order = [a for a in self.agents if a["kind"] == CITIZEN or self.on_duty(a)]  # cell order
        row = lambda r, k: int(self.words[r].reshape(-1)[k])  # noqa: E731
        for i in range(len(order) - 1, 0, -1):  # Fisher-Yates
            j = scaled(row(0, i), i + 1)
            order[i], order[j] = order[j], order[i]
        arrests = moves = 0
        for k, agent in enumerate(order):
            assert agent["pos"] == agent["start"]  # nobody moves an agent but itself
            if agent["kind"] == CITIZEN:
                # Mesa's Citizen.step
                if agent["jail"]:
                    agent["jail"] -= 1
                    continue
                agent["status"] = ACTIVE if self.decides_active(agent) else QUIET
            else:
                # Mesa's Cop.step
                visible = [c for c in self.neighbours(agent["pos"], self.params.police_vision) if self.is_active(c)]
                if visible:
                    arrestee = self.grid[visible[scaled(row(1, k), len(visible))]]
                    arrestee["jail"] = scaled(row(2, k), self.max_jail + 1)
                    arrestee["status"] = JAILED
                    arrests += 1
            if self.params.movement:
                empties = [c for c in self.neighbours(agent["pos"], self.vision(agent)) if c not in self.grid]
                if empties:
                    self.move_to(agent, empties[scaled(row(3, k), len(empties))])
                    moves += 1
        return arrests, moves

    # --- paper: simultaneous update ---------------------------------------------------

    def priority(self, agent):
        y, x = agent["start"]
        return (self.word(0, agent["start"]), y * self.width + x)

    def step_simultaneous(self):
        """Rows: 0 order key, 1 pick / jail term, 2 second pick, 3 + a the a-th move."""
        # citizens count down, or decide, all from the grid as the step found it
        decisions = []
        for a in self.agents:
            if a["kind"] != CITIZEN:
                continue
            if a["status"] == JAILED and a["jail"] > 0:
                a["jail"] -= 1
                continue
            decisions.append((a, self.decides_active(a)))
        for a, active in decisions:
            a["status"] = ACTIVE if active else QUIET
        # officers: one pick, then a second for those who lost a conflict
        arrests = 0
        pending = [a for a in self.agents if self.on_duty(a)]
        for row in (1, 2):
            claims = {}
            for officer in pending:
                visible = [c for c in self.neighbours(officer["pos"], self.params.police_vision) if self.is_active(c)]
                if not visible:
                    continue
                target = visible[scaled(self.word(row, officer["start"]), len(visible))]
                claims.setdefault(target, []).append(officer)
            losers = []
            for target, officers in claims.items():
                officers.sort(key=self.priority)
                citizen = self.grid[target]
                citizen["status"] = JAILED
                citizen["jail"] = scaled(self.word(1, citizen["start"]), self.max_jail + 1)
                arrests += 1
                losers.extend(officers[1:])
            pending = losers
        moves = 0
        if self.params.movement:
            movers = [a for a in self.agents if (a["kind"] == CITIZEN and a["status"] != JAILED) or self.on_duty(a)]
            attempts = {id(a): 0 for a in movers}
            for _ in range(self.params.move_attempts):
                proposals = {}
                for a in movers:
                    empties = [c for c in self.neighbours(a["pos"], self.vision(a)) if c not in self.grid]
                    if empties:
                        row = 3 + attempts[id(a)]
                        proposals.setdefault(empties[scaled(self.word(row, a["start"]), len(empties))], []).append(a)
                still = []
                for target, claimants in proposals.items():
                    winner = min(claimants, key=self.priority)
                    self.move_to(winner, target)
                    moves += 1
                    for loser in claimants:
                        if loser is not winner:
                            attempts[id(loser)] += 1
                moved = {id(a) for a in self.agents if a["pos"] != a["start"]}
                still.extend(a for a in movers if id(a) not in moved and attempts[id(a)] < self.params.move_attempts)
                movers = still
        return arrests, moves
