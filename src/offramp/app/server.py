"""``offramp app``: the local web server (Panel on Bokeh's Tornado server).

Choices
-------
1. Panel, not Solara: offramp's users write Python scripts and notebooks with the PyData
   stack, and Panel (HoloViz, BSD-3) draws with Bokeh, whose ColumnDataSource streams a
   week's numbers to the browser instead of redrawing figures, and serves all of its
   JavaScript and CSS from the local server, so the app works offline. docs/app.md says more.
2. One Panel session per browser tab: the server calls :func:`build_app` for each, and
   every view builds its own session objects, so two tabs never share state.
3. The server serves only the app: no static directory is mounted, and the views read
   only the scenario folder and results directory of the :class:`AppContext`.
4. The unrest kernel is loaded before the server listens, so the first tab does not wait
   for Numba.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn

from offramp.app.context import AppContext, app_context
from offramp.app.options import LOOPBACK, AppOptions
from offramp.app.views.compare import compare_view
from offramp.app.views.play import play_view
from offramp.app.views.results import results_view
from offramp.app.views.world import world_view
from offramp.errors import OptionError

__all__ = ["build_app", "run_app", "serve", "websocket_origins", "TITLE"]

TITLE = "offramp"

_INTRO = (
    "**offramp** — an analytic instrument: roles and parameters, no operational content. "
    "**World**: one world week by week · **Compare**: two strategies on the same world · "
    "**Play**: you are the coercer · **Results**: an exploration's outcomes, PRIM and the claim audit."
)


_VIEWS: tuple[tuple[str, Callable[[AppContext], pn.viewable.Viewable]], ...] = (
    ("World", world_view),
    ("Compare", compare_view),
    ("Play", play_view),
    ("Results", results_view),
)


def build_app(context: AppContext) -> pn.viewable.Viewable:
    """The whole page for one browser tab (module choice 2).

    The World view is built at once; every other view when its tab is first opened, so
    the page is usable sooner and a view never opened costs nothing.

    Parameters
    ----------
    context : AppContext

    Returns
    -------
    panel.viewable.Viewable
    """
    holders = [pn.Column(name=title, sizing_mode="stretch_width") for title, _ in _VIEWS]
    holders[0][:] = [_VIEWS[0][1](context)]
    built = {0}
    tabs = pn.Tabs(*holders, dynamic=True, sizing_mode="stretch_width")

    def open_view(event: Any) -> None:
        if event.new not in built:
            built.add(event.new)
            holders[event.new][:] = [_VIEWS[event.new][1](context)]

    tabs.param.watch(open_view, "active")
    return pn.Column(pn.pane.Markdown(_INTRO, margin=(0, 10)), tabs, sizing_mode="stretch_width")


def websocket_origins(host: str, port: int) -> list[str]:
    """The pages allowed to open the app's websocket (Bokeh's origin check).

    On the loopback, only pages served by this machine's own address; on another address
    (``--host``, asked for explicitly), any page, since the names other machines reach it
    by cannot be known here.

    Parameters
    ----------
    host : str
        The address the app listens on.
    port : int

    Returns
    -------
    list of str
        ``host:port`` patterns.
    """
    if host in (LOOPBACK, "localhost"):
        return [f"{LOOPBACK}:{port}", f"localhost:{port}"]
    return ["*"]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def serve(
    context: AppContext, options: AppOptions | None = None, on_ready: Callable[[str], None] | None = None
) -> None:
    """Serve the app until interrupted (Ctrl-C).

    Parameters
    ----------
    context : AppContext
        The checked inputs (:func:`~offramp.app.context.app_context`).
    options : AppOptions or None
        Host and port (defaults: 127.0.0.1, 5006).
    on_ready : callable(str) or None
        Called with the app's address once the server listens (the CLI prints it).

    Raises
    ------
    OptionError
        ``port``: the server cannot listen there (taken, or not this machine's address).
    """
    from offramp.explore.executors import load_kernel

    options = options or AppOptions()
    port = options.port or _free_port(options.host)
    load_kernel()  # module choice 4
    # The tables are built when their tab opens, after the page's resources were chosen:
    # load Tabulator's (bundled, local) JavaScript with the page.
    pn.extension("tabulator")
    origins = websocket_origins(options.host, port)

    def page() -> pn.viewable.Viewable:  # a plain function: Panel calls it once per tab
        return build_app(context)

    try:
        server = pn.serve(
            {"/": page},
            address=options.host,
            port=port,
            websocket_origin=origins,
            show=False,
            start=False,
            title=TITLE,
            threaded=False,
        )
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise OptionError("port", f"cannot listen on {options.host}:{port}: {error.strerror or error}") from error
    address = f"http://{options.host if ':' not in options.host else f'[{options.host}]'}:{port}/"
    if on_ready is not None:
        server.io_loop.add_callback(on_ready, address)
    server.start()
    try:
        server.io_loop.start()
    finally:
        server.stop()


def run_app(
    scenario: str | Path | None = None,
    *,
    results: str | Path | None = None,
    criteria: str | Path | None = None,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """``offramp app`` from Python: check the inputs, then serve until interrupted.

    Parameters
    ----------
    scenario : str, Path or None
        A scenario file; the views offer the scenario files of its folder.
    results : str, Path or None
        An ``offramp explore`` directory for the Results view.
    criteria : str, Path or None
        A criteria file for the Results view (as ``offramp analyze --criteria``).
    host : str or None
        The address to listen on; None: 127.0.0.1, this machine only.
    port : int or None
        The port; 0 picks a free one; None: 5006.
    on_ready : callable(str) or None
        Called with the app's address once it listens.

    Raises
    ------
    OptionError
        A bad host or port.
    InputError
        A bad scenario file, results directory or criteria file (before any server starts).
    """
    given = {"host": host, "port": port, "results": results, "criteria": criteria}
    options = AppOptions.check(**{name: value for name, value in given.items() if value is not None})
    serve(app_context(scenario, options.results, options.criteria), options, on_ready)
