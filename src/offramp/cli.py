"""The ``offramp`` command line: thin wrappers over the public Python API.

Each command composes public functions: a job that computes (``run_campaign``,
``epstein_job``, ...) and the report functions that render its result (terminal tables,
figures). Its options are the fields of the job's options models (``RunOptions``,
``EpsteinOptions``, ``EpsteinConfig``, ``FigureOptions``): the help texts and defaults
come from those fields, the models are checked once, here, and the job trusts them.
Errors in user input print one line and exit with status 2, without a traceback; a bad
option (:class:`~offramp.errors.OptionError`, from any command) as
``offramp: error: --chunk-size: problem``.

Start-up (``--version``, ``--help``) reads only the options models (pydantic): the jobs,
pandas, the analysis and matplotlib load when a command runs.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console

from offramp import __version__
from offramp.errors import InputError, OfframpError, OptionError
from offramp.report.options import FigureOptions
from offramp.run.options import EpsteinOptions, RunOptions
from offramp.scenario.epstein import EpsteinConfig

app = typer.Typer(
    name="offramp",
    help="offramp: test a coercion strategy under deep uncertainty (an analytic instrument; no operational content).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(stderr=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _help(model: type[BaseModel], field: str) -> str:
    """An option's help text: its field's description and its default. A None default
    means "not given" (the description says what happens then); a flag's default typer
    shows itself."""
    info = model.model_fields[field]
    default = info.default.value if hasattr(info.default, "value") else info.default
    if default is None or isinstance(default, bool):
        return str(info.description)
    return f"{info.description} [default: {default}]"


def _default(model: type[BaseModel], field: str) -> Any:
    """An option's default, from its field: for flags, whose command-line value is never None."""
    return model.model_fields[field].default


def _figure_help(what: str) -> str:
    return f"{what}; {_help(FigureOptions, 'plot')}"


def _given(**values: Any) -> dict[str, Any]:
    """Only the options the user gave: the rest take the model's defaults."""
    return {name: value for name, value in values.items() if value is not None}


def _print_written(*paths: tuple[Path | None, str]) -> None:
    """One line per file written: ``what: path``."""
    for path, what in paths:
        if path is not None:
            console.print(f"{what}: {path}", markup=False)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print offramp's version and exit.")] = False,
) -> None:
    if version:
        console.print(f"offramp {__version__}")
        raise typer.Exit(0)


_CONFIG, _EPSTEIN = EpsteinConfig, EpsteinOptions  # short names for the many help texts below


@app.command()
def epstein(
    width: Annotated[int | None, typer.Option(help=_help(_CONFIG, "width"))] = None,
    height: Annotated[int | None, typer.Option(help=_help(_CONFIG, "height"))] = None,
    citizen_density: Annotated[float | None, typer.Option(help=_help(_CONFIG, "citizen_density"))] = None,
    cop_density: Annotated[float | None, typer.Option(help=_help(_CONFIG, "cop_density"))] = None,
    citizen_vision: Annotated[int | None, typer.Option(help=_help(_CONFIG, "citizen_vision"))] = None,
    cop_vision: Annotated[int | None, typer.Option(help=_help(_CONFIG, "cop_vision"))] = None,
    legitimacy: Annotated[float | None, typer.Option(help=_help(_CONFIG, "legitimacy"))] = None,
    max_jail_term: Annotated[int | None, typer.Option(help=_help(_CONFIG, "max_jail_term"))] = None,
    active_threshold: Annotated[float | None, typer.Option(help=_help(_CONFIG, "active_threshold"))] = None,
    arrest_prob_constant: Annotated[float | None, typer.Option(help=_help(_CONFIG, "arrest_prob_constant"))] = None,
    variant: Annotated[str | None, typer.Option(help=_help(_CONFIG, "variant"))] = None,
    ratio_rounding: Annotated[str | None, typer.Option(help=_help(_CONFIG, "ratio_rounding"))] = None,
    movement: Annotated[bool, typer.Option("--movement/--no-movement", help=_help(_CONFIG, "movement"))] = _default(
        _CONFIG, "movement"
    ),
    move_attempts: Annotated[int | None, typer.Option(help=_help(_CONFIG, "move_attempts"))] = None,
    legitimacy_change: Annotated[str | None, typer.Option(help=_help(_CONFIG, "legitimacy_change"))] = None,
    legitimacy_to: Annotated[float | None, typer.Option(help=_help(_CONFIG, "legitimacy_to"))] = None,
    change_start: Annotated[int | None, typer.Option(help=_help(_CONFIG, "change_start"))] = None,
    change_end: Annotated[int | None, typer.Option(help=_help(_CONFIG, "change_end"))] = None,
    worlds: Annotated[int | None, typer.Option(help=_help(_EPSTEIN, "worlds"))] = None,
    steps: Annotated[int | None, typer.Option(help=_help(_EPSTEIN, "steps"))] = None,
    seed: Annotated[int | None, typer.Option(help=_help(_EPSTEIN, "seed"))] = None,
    out: Annotated[Path | None, typer.Option(help=_help(_EPSTEIN, "out"))] = None,
    threads: Annotated[int | None, typer.Option(help=_help(_EPSTEIN, "threads"))] = None,
    plot: Annotated[Path | None, typer.Option(help=_figure_help("figure of the shares over time"))] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help=_help(_EPSTEIN, "progress"))] = _default(
        _EPSTEIN, "progress"
    ),
) -> None:
    """Run Epstein's civil-violence model on its own (Mesa's parameter names and defaults)."""
    from offramp.report.figures import plot_epstein
    from offramp.report.tables import epstein_table
    from offramp.run.epstein import epstein_job

    config = EpsteinConfig.check(
        **_given(
            width=width,
            height=height,
            citizen_density=citizen_density,
            cop_density=cop_density,
            citizen_vision=citizen_vision,
            cop_vision=cop_vision,
            legitimacy=legitimacy,
            max_jail_term=max_jail_term,
            active_threshold=active_threshold,
            arrest_prob_constant=arrest_prob_constant,
            variant=variant,
            ratio_rounding=ratio_rounding,
            movement=movement,
            move_attempts=move_attempts,
            legitimacy_change=legitimacy_change,
            legitimacy_to=legitimacy_to,
            change_start=change_start,
            change_end=change_end,
        )
    )
    options = EpsteinOptions.check(
        **_given(worlds=worlds, steps=steps, seed=seed, out=out, threads=threads), progress=progress
    )
    figure = FigureOptions.check(plot=plot)
    result = epstein_job(config, options=options)
    console.print(epstein_table(result))
    if figure.plot is not None:
        plot_epstein(result, options=figure)
    _print_written((options.out, "counts"), (figure.plot, "figure"))


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")],
    worlds: Annotated[int | None, typer.Option(help=_help(RunOptions, "worlds"))] = None,
    seed: Annotated[int | None, typer.Option(help=_help(RunOptions, "seed"))] = None,
    strategy: Annotated[list[str] | None, typer.Option(help=_help(RunOptions, "strategy"))] = None,
    chunk_size: Annotated[int | None, typer.Option(help=_help(RunOptions, "chunk_size"))] = None,
    out: Annotated[Path | None, typer.Option(help=_help(RunOptions, "out"))] = None,
    trace: Annotated[int | None, typer.Option(help=_help(RunOptions, "trace"))] = None,
    trace_out: Annotated[Path | None, typer.Option(help=_help(RunOptions, "trace_out"))] = None,
    threads: Annotated[int | None, typer.Option(help=_help(RunOptions, "threads"))] = None,
    plot: Annotated[Path | None, typer.Option(help=_figure_help("figure of the outcome shares per strategy"))] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help=_help(RunOptions, "progress"))] = _default(
        RunOptions, "progress"
    ),
) -> None:
    """Run every strategy of a scenario on the same worlds and summarise how they end."""
    from offramp.report.figures import plot_campaign
    from offramp.report.tables import campaign_tables
    from offramp.run.campaign import run_campaign

    options = RunOptions.check(
        **_given(
            worlds=worlds,
            seed=seed,
            strategy=strategy or None,
            chunk_size=chunk_size,
            out=out,
            trace=trace,
            trace_out=trace_out,
            threads=threads,
        ),
        progress=progress,
    )
    figure = FigureOptions.check(plot=plot)
    result = run_campaign(scenario, options=options)
    console.print(campaign_tables(result))
    if figure.plot is not None:
        plot_campaign(result, options=figure)
    _print_written((options.out, "outcomes"), (options.trace_path, "trace"), (figure.plot, "figure"))


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")]) -> None:
    """Check a scenario file: one line saying it is valid, or naming the first problem."""
    from offramp.scenario.load import load_scenario
    from offramp.scenario.translate import build_strategies

    source = load_scenario(scenario)
    build_strategies(source)  # given the loaded file, its problems name the file
    body = source.scenario
    console.print(
        f"{source.name}: valid ({len(body.regions)} regions, {len(body.strategies)} strategies, "
        f"{len(body.uncertainties)} uncertainties, {len(body.claims)} claims; sha256 {source.hash[:12]})"
    )


@app.command()
def schema(
    patterns: Annotated[bool, typer.Option("--patterns", help="the patterns file's schema instead")] = False,
) -> None:
    """Print the scenario file's JSON Schema, or the patterns file's (for editors and validators)."""
    import json

    from offramp.scenario.patterns import Patterns
    from offramp.scenario.schema import Scenario

    model = Patterns if patterns else Scenario
    console.out(json.dumps(model.model_json_schema(), indent=2), highlight=False)


def _option_help(model: type[BaseModel], name: str) -> str:
    """Help text of a job's option: its description and default, from its options model."""
    info = model.model_fields[name]
    default = info.get_default()
    # A default of None means "computed" (all cores, the directory's chunk size), which
    # the description says; typer shows the defaults of on/off flags itself.
    shown = default is not None and not isinstance(default, bool) and not info.is_required()
    return f"{info.description} [default: {default}]" if shown else str(info.description)


def _explore_help(name: str) -> str:
    """Help text of an explore option, from ExploreOptions."""
    from offramp.explore.options import ExploreOptions

    return _option_help(ExploreOptions, name)


def _explore_default(name: str) -> Any:
    from offramp.explore.options import ExploreOptions

    return _option_default(ExploreOptions, name)


def _option_default(model: type[BaseModel], name: str) -> Any:
    """The default of a job's option, from its options model (the command's and the
    Python function's defaults are one)."""
    return model.model_fields[name].get_default()


@app.command(name="explore")
def explore_command(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")],
    design: Annotated[str | None, typer.Option(help=_explore_help("design"))] = None,
    calibration: Annotated[Path | None, typer.Option("--from", help=_explore_help("calibration"))] = None,
    samples: Annotated[int | None, typer.Option(help=_explore_help("samples"))] = None,
    replications: Annotated[int | None, typer.Option(help=_explore_help("replications"))] = None,
    seed: Annotated[int | None, typer.Option(help=_explore_help("seed"))] = None,
    out: Annotated[Path | None, typer.Option(help=_explore_help("out"))] = None,
    strategy: Annotated[list[str] | None, typer.Option(help=_explore_help("strategy"))] = None,
    workers: Annotated[int | None, typer.Option(help=_explore_help("workers"))] = None,
    threads: Annotated[int | None, typer.Option(help=_explore_help("threads"))] = None,
    chunk_size: Annotated[int | None, typer.Option(help=_explore_help("chunk_size"))] = None,
    executor: Annotated[str | None, typer.Option(help=_explore_help("executor"))] = None,
    scheduler: Annotated[str | None, typer.Option(help=_explore_help("scheduler"))] = None,
    resume: Annotated[bool, typer.Option("--resume", help=_explore_help("resume"))] = _explore_default("resume"),
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help=_explore_help("progress"))
    ] = _explore_default("progress"),
) -> None:
    """Run every strategy across a design of sampled worlds, streaming rows to a Parquet dataset."""
    from offramp.explore.experiments import ExploreInterrupted, explore

    try:
        # Options left out take ExploreOptions' defaults; explore checks them all, once.
        result = explore(
            scenario,
            **_given(
                design=design,
                calibration=calibration,
                samples=samples,
                replications=replications,
                seed=seed,
                strategy=strategy or None,
                workers=workers,
                threads=threads,
                chunk_size=chunk_size,
                executor=executor,
                scheduler=scheduler,
            ),
            out=out,
            resume=resume,
            progress=progress,
        )
    except ExploreInterrupted as stop:
        console.print(stop.message)  # the one-line error on stderr comes from main()
        raise typer.Exit(130) from None
    except OptionError as error:
        if error.option == "calibration":  # the one option whose flag is not its keyword
            raise InputError("--from", error.problem) from None
        raise
    if result.already_complete:
        console.print(
            f"{result.directory}: already complete ({result.experiments:,} experiments in "
            f"{result.chunks} chunks); nothing to run"
        )
        return
    console.print(
        f"{result.directory}: {result.experiments:,} experiments ({result.samples} samples x "
        f"{result.replications} replications x {len(result.strategies)} strategies), {result.chunks_run} chunks run"
        + (f", {result.chunks_kept} kept" if result.chunks_kept else "")
        + f", {result.experiments_per_second:,.1f} experiments/s"
    )
    if result.chunks_quarantined:
        console.print(
            f"{result.chunks_quarantined} damaged chunk file(s) were moved to "
            f"{result.directory / 'quarantine'} (each with a .reason.txt) and run again"
        )
    console.print(
        f"read it with offramp.load({str(result.directory)!r}) or pyarrow.dataset.dataset('{result.directory}/chunks')"
    )


def _calibrate_help(name: str) -> str:
    """Help text of a calibrate option, from CalibrateOptions (its module loads no pandas)."""
    from offramp.analyse.calibration_options import CalibrateOptions

    return _option_help(CalibrateOptions, name)


def _calibrate_default(name: str) -> Any:
    from offramp.analyse.calibration_options import CalibrateOptions

    return _option_default(CalibrateOptions, name)


@app.command(name="calibrate")
def calibrate_command(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML); its [uncertainties] are the prior box")],
    patterns: Annotated[Path, typer.Option(help=_calibrate_help("patterns"))],
    samples: Annotated[int | None, typer.Option(help=_calibrate_help("samples"))] = None,
    replications: Annotated[int | None, typer.Option(help=_calibrate_help("replications"))] = None,
    out: Annotated[Path | None, typer.Option(help=_calibrate_help("out"))] = None,
    design: Annotated[str | None, typer.Option(help=_calibrate_help("design"))] = None,
    seed: Annotated[int | None, typer.Option(help=_calibrate_help("seed"))] = None,
    workers: Annotated[int | None, typer.Option(help=_calibrate_help("workers"))] = None,
    threads: Annotated[int | None, typer.Option(help=_calibrate_help("threads"))] = None,
    chunk_size: Annotated[int | None, typer.Option(help=_calibrate_help("chunk_size"))] = None,
    executor: Annotated[str | None, typer.Option(help=_calibrate_help("executor"))] = None,
    scheduler: Annotated[str | None, typer.Option(help=_calibrate_help("scheduler"))] = None,
    resume: Annotated[bool, typer.Option("--resume", help=_calibrate_help("resume"))] = _calibrate_default("resume"),
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help=_calibrate_help("progress"))
    ] = _calibrate_default("progress"),
    plot: Annotated[
        Path | None, typer.Option(help=_figure_help("pairs figure of the most constrained uncertainties"))
    ] = None,
) -> None:
    """Keep the sampled worlds that reproduce every pattern: rates, conflicts, plausible ranges."""
    from offramp.analyse.calibration import calibrate
    from offramp.explore.experiments import ExploreInterrupted
    from offramp.report.calibration_figures import plot_calibration_pairs
    from offramp.report.calibration_tables import calibration_tables

    figure = FigureOptions.check(plot=plot)  # before the work: a bad figure name fails at once
    try:
        found = calibrate(
            scenario,
            patterns,
            **_given(
                samples=samples,
                replications=replications,
                design=design,
                seed=seed,
                workers=workers,
                threads=threads,
                chunk_size=chunk_size,
                executor=executor,
                scheduler=scheduler,
            ),
            out=out,
            resume=resume,
            progress=progress,
        )
    except ExploreInterrupted as stop:
        console.print(stop.message)
        raise typer.Exit(130) from None
    console.print(calibration_tables(found))
    if figure.plot is not None:
        plot_calibration_pairs(found, options=figure)
    _print_written((found.directory / "calibration" / "statistics.parquet", "statistics"), (figure.plot, "figure"))


def _analyze_help(name: str, default: str | None = None) -> str:
    """Help text of an ``offramp analyze`` option, from its options model: its description
    and its default (``default`` words it where the value would not say it). The model's
    module loads neither pandas nor the analysis, so ``--help`` stays fast."""
    from offramp.analyse.options import AnalyzeCommandOptions

    info = AnalyzeCommandOptions.model_fields[name]
    shown = default if default is not None else info.default
    if shown is None or isinstance(shown, bool):  # typer shows a flag's default itself
        return str(info.description)
    return f"{info.description} [default: {shown}]"


@app.command(name="analyze")
def analyze_command(
    directory: Annotated[Path, typer.Argument(help="an offramp explore directory (its --out)")],
    criteria: Annotated[
        Path | None,
        typer.Option(
            help="criteria file (TOML): objective, satisficing, discovery, claim audit "
            "[default: settlement within 52 weeks >= 0.25, direct conflict <= 0.05]"
        ),
    ] = None,
    report: Annotated[Path | None, typer.Option(help=_analyze_help("report"))] = None,
    tables: Annotated[Path | None, typer.Option(help=_analyze_help("tables"))] = None,
    discover: Annotated[
        list[str] | None,
        typer.Option(
            help=_analyze_help("discover", "the criteria's, or the best-ranked strategy that fails somewhere")
            + " (repeat for several)"
        ),
    ] = None,
    plausible: Annotated[Path | None, typer.Option(metavar="CALIB_DIR", help=_analyze_help("plausible"))] = None,
    seed: Annotated[int | None, typer.Option(help=_analyze_help("seed"))] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help=_analyze_help("progress"))] = True,
) -> None:
    """Analyse an exploration: outcomes, robustness, scenario discovery, sensitivity and the claim audit."""
    from offramp.analyse.analysis import analyze
    from offramp.analyse.options import AnalyzeCommandOptions
    from offramp.report.analysis_tables import print_analysis
    from offramp.report.html import write_report
    from offramp.run.progress import progress_bar

    # Checked once, before the study is read: a bad report name fails at once, not after the analysis.
    options = AnalyzeCommandOptions.check(
        **_given(
            report=report,
            tables=tables,
            discover=tuple(discover) if discover else None,
            plausible=plausible,
            seed=seed,
        ),
        progress=progress,
    )
    analysis = analyze(
        directory,
        criteria,
        tables=options.tables,
        discover=options.discover,
        plausible=options.plausible,
        seed=options.seed,
        progress=options.progress,
    )
    if options.report is not None:
        with progress_bar("writing the report", total=1, enabled=options.progress) as advance:
            write_report(analysis, options.report)
            advance(1)
    print_analysis(analysis, console)
    for path, what in ((options.report, "report"), (options.tables, "tables")):
        if path is not None:
            console.print(f"{what}: {path}")


def _app_help(name: str) -> str:
    from offramp.app.options import AppOptions

    return _help(AppOptions, name)


@app.command(name="app")
def app_command(
    scenario: Annotated[
        Path | None, typer.Argument(help="scenario file (TOML); the app offers the .toml files of its folder")
    ] = None,
    results: Annotated[Path | None, typer.Option(help=_app_help("results"))] = None,
    criteria: Annotated[Path | None, typer.Option(help=_app_help("criteria"))] = None,
    host: Annotated[str | None, typer.Option(help=_app_help("host"))] = None,
    port: Annotated[int | None, typer.Option(help=_app_help("port"))] = None,
) -> None:
    """Start the local web app: watch a world, compare strategies, play the coercer, explore results."""
    from offramp.app.options import LOOPBACK
    from offramp.app.server import run_app

    where = "this machine only" if host in (None, LOOPBACK) else f"listening on {host}"

    def ready(address: str) -> None:
        console.print(f"offramp app: {address} ({where}; Ctrl-C stops it)", markup=False)

    # run_app checks every input before a server exists: a bad one is one line, exit 2.
    # Ctrl-C stops the server (Panel may also catch it and stop the server itself).
    with contextlib.suppress(KeyboardInterrupt):
        run_app(scenario, results=results, criteria=criteria, host=host, port=port, on_ready=ready)
    console.print("offramp app: stopped", markup=False)


def _usage_problem(error: Exception) -> str | None:
    """The one-line message of a command-line usage error (unknown option, bad type), or
    None if ``error`` is not one. Duck-typed: Typer raises its own or click's classes,
    depending on its version, and both carry ``format_message`` and exit code 2."""
    if getattr(error, "exit_code", None) != 2 or not hasattr(error, "format_message"):
        return None
    param = getattr(error, "param", None)
    opts = getattr(param, "opts", None) if param is not None else None
    message = error.format_message()
    prefix = f"{opts[0]}: " if opts and opts[0] not in message else ""
    return (prefix + message).replace("\n", " ")


_INTERRUPTED = "offramp: interrupted; results already written are intact"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``offramp`` script: one-line errors, exit 2 for bad input."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        result = app(args=argv or ["--help"], prog_name="offramp", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        errors.print(_INTERRUPTED, markup=False)
        return 130
    except OptionError as error:  # the option as the command line spells it: --chunk-size
        errors.print(f"offramp: error: {error.flag}: {error.problem}", markup=False)
        return 2
    except InputError as error:
        errors.print(f"offramp: error: {error}", markup=False)
        return 2
    except OfframpError as error:
        errors.print(f"offramp: error: {error}", markup=False)
        return 1
    except OSError as error:
        name = getattr(error, "filename", None) or ""
        errors.print(f"offramp: error: {name}: {error.strerror or error}", markup=False)
        return 2
    except Exception as error:
        problem = _usage_problem(error)
        if problem is None:
            raise
        errors.print(f"offramp: error: {problem}", markup=False)
        return 2
    code = int(result or 0) if isinstance(result, int) else 0
    if code == 130:  # typer (standalone_mode=False) turns Ctrl-C into a silent return of 130
        errors.print(_INTERRUPTED, markup=False)
    return code


if __name__ == "__main__":
    sys.exit(main())
