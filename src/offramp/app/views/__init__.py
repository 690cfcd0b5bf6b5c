"""The app's pages, one module per view (World, Compare, Play, Results), drawn with Panel.

Each view is a function of an :class:`~offramp.app.context.AppContext` that builds a fresh
Panel layout with its own session objects: the server calls them once per browser tab, so
two tabs never share state. The state logic they draw lives in
:mod:`offramp.app.session` and :mod:`offramp.app.results`, tested without a browser.
"""
