"""offramp: test a coercion strategy under deep uncertainty.

offramp turns a strategic argument (an outside power's pressure campaign against an
authoritarian leader) into an executable, batched agent-based model and explores it
across many plausible worlds. It is an analytic instrument: it contains no operational
content (no real people or groups as targets, no messaging content, no tradecraft).
Actors are roles, not dossiers.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("offramp")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

from offramp.model.cascade import cascade  # noqa: E402  (the pure Granovetter cascade)
from offramp.model.leader import choice_probabilities  # noqa: E402  (the logit choice rule)
from offramp.explore.dataset import aggregate, load  # noqa: E402  (an offramp explore directory as a DataFrame)

__all__ = ["__version__", "Analysis", "aggregate", "analyze", "cascade", "choice_probabilities", "load"]


def __getattr__(name: str):
    # offramp analyze as a function, imported on first use: it pulls in pandas and SciPy's
    # statistics, which the command line's other commands do not need at start-up.
    if name in ("analyze", "Analysis"):
        from offramp.analyse import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'offramp' has no attribute {name!r}")
