"""offramp: test a coercion strategy under deep uncertainty.

offramp turns a strategic argument (an outside power's pressure campaign against an
authoritarian leader) into an executable, batched agent-based model and explores it
across many plausible worlds. It is an analytic instrument: it contains no operational
content (no real people or groups as targets, no messaging content, no tradecraft).
Actors are roles, not dossiers.
"""

from typing import Any

# The one place the version is written: pyproject.toml reads it from here (dynamic), and
# a literal costs nothing at start-up, where importlib.metadata would cost tens of ms.
__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Analysis",
    "aggregate",
    "analyze",
    "cascade",
    "choice_probabilities",
    "load",
    "run_app",
    "write_report",
]

# The public names, imported on first use: ``import offramp.model.unrest`` (or the command
# line's ``--version``) must not load the exploration's pandas or the analysis's SciPy.
_LAZY = {
    "cascade": "offramp.model.cascade",  # the pure Granovetter cascade
    "choice_probabilities": "offramp.model.leader",  # the logit choice rule
    "load": "offramp.explore.dataset",  # an offramp explore directory as a DataFrame
    "aggregate": "offramp.explore.dataset",
    "analyze": "offramp.analyse.analysis",
    "Analysis": "offramp.analyse.analysis",
    "write_report": "offramp.report.html",  # an Analysis as one HTML file
    "run_app": "offramp.app.server",  # the local web app (needs the app extra: Panel)
}


def __getattr__(name: str) -> Any:  # Any: the lazy names are functions and a class
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'offramp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
