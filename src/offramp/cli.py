"""The ``offramp`` command line: thin wrappers over the public Python API.

Each command calls one public function; its options mirror that function's keyword
arguments (and the fields of the settings it validates) one to one, and help texts and
defaults come from the schema, so they cannot drift. Errors in user input print one line
and exit with status 2, without a traceback.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from offramp import __version__
from offramp.errors import InputError, OfframpError, OptionError, describe_validation_error

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


def _kebab(name: str) -> str:
    return "--" + name.replace("_", "-")


def _schema_help(model, field: str) -> str:
    """Help text of a settings field: its description and its default, from the schema."""
    info = model.model_fields[field]
    default = info.default.value if hasattr(info.default, "value") else info.default
    return f"{info.description} [default: {default}]"


def _signature_help(function, name: str, text: str) -> str:
    default = inspect.signature(function).parameters[name].default
    return f"{text} [default: {default}]"


def _given(**values) -> dict:
    """Only the options the user gave: the rest take the schema's or function's defaults."""
    return {name: value for name, value in values.items() if value is not None}


def _option_name(location: tuple) -> str:
    return _kebab(str(location[0])) if location else "input"


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print offramp's version and exit.")] = False,
) -> None:
    if version:
        console.print(f"offramp {__version__}")
        raise typer.Exit(0)


def _epstein_help(field: str) -> str:
    from offramp.scenario.epstein import EpsteinConfig

    return _schema_help(EpsteinConfig, field)


def _job_help(name: str, text: str) -> str:
    from offramp.run.epstein import epstein_job

    return _signature_help(epstein_job, name, text)


@app.command()
def epstein(
    width: Annotated[Optional[int], typer.Option(help=_epstein_help("width"))] = None,
    height: Annotated[Optional[int], typer.Option(help=_epstein_help("height"))] = None,
    citizen_density: Annotated[Optional[float], typer.Option(help=_epstein_help("citizen_density"))] = None,
    cop_density: Annotated[Optional[float], typer.Option(help=_epstein_help("cop_density"))] = None,
    citizen_vision: Annotated[Optional[int], typer.Option(help=_epstein_help("citizen_vision"))] = None,
    cop_vision: Annotated[Optional[int], typer.Option(help=_epstein_help("cop_vision"))] = None,
    legitimacy: Annotated[Optional[float], typer.Option(help=_epstein_help("legitimacy"))] = None,
    max_jail_term: Annotated[Optional[int], typer.Option(help=_epstein_help("max_jail_term"))] = None,
    active_threshold: Annotated[Optional[float], typer.Option(help=_epstein_help("active_threshold"))] = None,
    arrest_prob_constant: Annotated[Optional[float], typer.Option(help=_epstein_help("arrest_prob_constant"))] = None,
    variant: Annotated[Optional[str], typer.Option(help=_epstein_help("variant"))] = None,
    ratio_rounding: Annotated[Optional[str], typer.Option(help=_epstein_help("ratio_rounding"))] = None,
    movement: Annotated[Optional[bool], typer.Option("--movement/--no-movement", help=_epstein_help("movement"))] = None,
    turns: Annotated[Optional[int], typer.Option(help=_epstein_help("turns"))] = None,
    move_rounds: Annotated[Optional[int], typer.Option(help=_epstein_help("move_rounds"))] = None,
    move_attempts: Annotated[Optional[int], typer.Option(help=_epstein_help("move_attempts"))] = None,
    legitimacy_change: Annotated[Optional[str], typer.Option(help=_epstein_help("legitimacy_change"))] = None,
    legitimacy_to: Annotated[Optional[float], typer.Option(help=_epstein_help("legitimacy_to"))] = None,
    change_start: Annotated[Optional[int], typer.Option(help=_epstein_help("change_start"))] = None,
    change_end: Annotated[Optional[int], typer.Option(help=_epstein_help("change_end"))] = None,
    worlds: Annotated[Optional[int], typer.Option(help=_job_help("worlds", "number of worlds run at once"))] = None,
    steps: Annotated[Optional[int], typer.Option(help=_job_help("steps", "engine steps"))] = None,
    seed: Annotated[Optional[int], typer.Option(help=_job_help("seed", "the run's seed"))] = None,
    out: Annotated[Optional[Path], typer.Option(help="counts per world and step, .csv or .parquet")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="figure of the shares over time, e.g. .png")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="show a progress bar")] = True,
) -> None:
    """Run Epstein's civil-violence model on its own (Mesa's parameter names and defaults)."""
    from pydantic import ValidationError

    from offramp.run.epstein import epstein_job, outbursts
    from offramp.scenario.epstein import EpsteinConfig

    try:
        config = EpsteinConfig(
            **_given(
                width=width, height=height, citizen_density=citizen_density, cop_density=cop_density,
                citizen_vision=citizen_vision, cop_vision=cop_vision, legitimacy=legitimacy,
                max_jail_term=max_jail_term, active_threshold=active_threshold,
                arrest_prob_constant=arrest_prob_constant, variant=variant, ratio_rounding=ratio_rounding,
                movement=movement, turns=turns, move_rounds=move_rounds, move_attempts=move_attempts, legitimacy_change=legitimacy_change,
                legitimacy_to=legitimacy_to, change_start=change_start, change_end=change_end,
            )
        )
    except ValidationError as error:
        raise InputError(*describe_validation_error(error, _option_name).split(": ", 1)) from None
    try:
        result = epstein_job(
            config, **_given(worlds=worlds, steps=steps, seed=seed, out=out, plot=plot), progress=progress
        )
    except ValueError as error:
        if isinstance(error, InputError):
            raise
        head, _, rest = str(error).partition(": ")
        raise InputError(_kebab(head), rest) from None

    counts = result.counts
    shares = counts / counts.sum(axis=2, keepdims=True)
    table = Table(title=f"Epstein civil violence: {counts.shape[0]} world(s), {counts.shape[1] - 1} steps")
    for column in ("", "mean over run", "at the end", "peak"):
        table.add_column(column, justify="right")
    for index, name in enumerate(("quiet", "active", "jailed")):
        series = shares[:, :, index]
        table.add_row(
            f"{name} share", f"{series.mean():.3f}", f"{series[:, -1].mean():.3f}", f"{series.max(axis=1).mean():.3f}"
        )
    bursts = outbursts(shares[:, :, 1])
    table.add_row("outbursts (>5% active)", f"{bursts.mean():.2f}", "", "")
    console.print(table)
    for path, what in ((out, "counts"), (plot, "figure")):
        if path is not None:
            console.print(f"{what}: {path}")


def _run_help(name: str, text: str) -> str:
    from offramp.run.campaign import run_campaign

    return _signature_help(run_campaign, name, text)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")],
    worlds: Annotated[Optional[int], typer.Option(help=_run_help("worlds", "worlds per strategy"))] = None,
    seed: Annotated[Optional[int], typer.Option(help=_run_help("seed", "the run's seed"))] = None,
    strategy: Annotated[
        Optional[list[str]], typer.Option(help="run only this strategy (repeat for several) [default: all]")
    ] = None,
    chunk_size: Annotated[
        Optional[int], typer.Option(help=_run_help("chunk_size", "worlds simulated at once (memory only)"))
    ] = None,
    out: Annotated[Optional[Path], typer.Option(help="outcome table, .parquet or .csv")] = None,
    trace: Annotated[Optional[int], typer.Option(help="write the weekly trajectory of this world")] = None,
    trace_out: Annotated[Optional[Path], typer.Option(help="where the trace goes [default: trace-world-N.csv]")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="figure of the outcome shares per strategy, e.g. .png")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="show a progress bar")] = True,
) -> None:
    """Run every strategy of a scenario on the same worlds and summarise how they end."""
    from offramp.analyse.outcomes import outcome_summary
    from offramp.run.campaign import run_campaign
    from offramp.run.runner import OUTCOME_LABELS

    result = run_campaign(
        scenario,
        **_given(worlds=worlds, seed=seed, strategy=strategy or None, chunk_size=chunk_size, out=out, trace=trace,
                 trace_out=trace_out, plot=plot),
        progress=progress,
    )
    summary = outcome_summary(result.outcomes, OUTCOME_LABELS)
    worlds_each = summary["worlds"].iloc[0]
    ends = Table(title=f"How the worlds ended: {result.scenario_name}, {worlds_each} worlds per strategy, seed {result.seed}")
    ends.add_column("strategy", no_wrap=True)
    short = {"settlement": "settled", "insider_removal": "insiders", "direct_conflict": "conflict"}
    for label in OUTCOME_LABELS:
        ends.add_column(f"{short.get(label, label)} %", justify="right")
    ends.add_column("median end wk", justify="right")
    costs = Table(title="At what cost (means per world; never summed together)")
    costs.add_column("strategy", no_wrap=True)
    for column in ("war deaths", "periphery casualties", "direct conflict %", "peak tension"):
        costs.add_column(column, justify="right")
    for _, row in summary.iterrows():
        shares = [
            f"{100 * row[f'{label}_share']:.0f} [{100 * row[f'{label}_low']:.0f}-{100 * row[f'{label}_high']:.0f}]"
            for label in OUTCOME_LABELS
        ]
        median = row["median_end_week"]
        ends.add_row(row["strategy"], *shares, "-" if median != median else f"{median:.0f}")  # NaN: none ended
        costs.add_row(
            row["strategy"], f"{row['mean_war_deaths']:,.0f}", f"{row['mean_periphery_casualties']:,.1f}",
            f"{100 * row['direct_conflict_share']:.1f}", f"{row['mean_peak_tension']:.2f}",
        )
    console.print(ends)
    console.print(costs)
    console.print("Shares in %, with 95% Wilson intervals in brackets; settled = off-ramp, insiders = removal by "
                  "insiders, conflict = direct conflict with the coercer.")
    for path, what in ((out, "outcomes"), (plot, "figure")):
        if path is not None:
            console.print(f"{what}: {path}")


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")]) -> None:
    """Check a scenario file: one line saying it is valid, or naming the first problem."""
    from offramp.scenario.load import load_scenario
    from offramp.scenario.translate import build_strategies

    source = load_scenario(scenario)
    try:
        build_strategies(source.scenario)
    except InputError as error:
        raise InputError(source.name, str(error)) from None
    body = source.scenario
    console.print(
        f"{source.name}: valid ({len(body.regions)} regions, {len(body.strategies)} strategies, "
        f"{len(body.uncertainties)} uncertainties, {len(body.claims)} claims; sha256 {source.hash[:12]})"
    )


@app.command()
def schema() -> None:
    """Print the scenario file's JSON Schema (for editors and validators)."""
    import json

    from offramp.scenario.schema import Scenario

    console.out(json.dumps(Scenario.model_json_schema(), indent=2), highlight=False)


def _explore_help(name: str) -> str:
    """Help text of an explore option: its description and default, from ExploreOptions."""
    from offramp.explore.options import ExploreOptions

    info = ExploreOptions.model_fields[name]
    default = info.get_default()
    # A default of None means "computed" (all cores, the directory's chunk size), which
    # the description says; typer shows the defaults of on/off flags itself.
    shown = default is not None and not isinstance(default, bool) and not info.is_required()
    return f"{info.description} [default: {default}]" if shown else str(info.description)


def _explore_default(name: str):
    from offramp.explore.options import ExploreOptions

    return ExploreOptions.model_fields[name].get_default()


@app.command(name="explore")
def explore_command(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)")],
    design: Annotated[Optional[str], typer.Option(help=_explore_help("design"))] = None,
    samples: Annotated[Optional[int], typer.Option(help=_explore_help("samples"))] = None,
    replications: Annotated[Optional[int], typer.Option(help=_explore_help("replications"))] = None,
    seed: Annotated[Optional[int], typer.Option(help=_explore_help("seed"))] = None,
    out: Annotated[Optional[Path], typer.Option(help=_explore_help("out"))] = None,
    strategy: Annotated[Optional[list[str]], typer.Option(help=_explore_help("strategy"))] = None,
    workers: Annotated[Optional[int], typer.Option(help=_explore_help("workers"))] = None,
    chunk_size: Annotated[Optional[int], typer.Option(help=_explore_help("chunk_size"))] = None,
    executor: Annotated[Optional[str], typer.Option(help=_explore_help("executor"))] = None,
    scheduler: Annotated[Optional[str], typer.Option(help=_explore_help("scheduler"))] = None,
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
            **_given(design=design, samples=samples, replications=replications, seed=seed, strategy=strategy or None,
                     workers=workers, chunk_size=chunk_size, executor=executor, scheduler=scheduler),
            out=out, resume=resume, progress=progress,
        )
    except ExploreInterrupted as stop:
        console.print(stop.message)  # the one-line error on stderr comes from main()
        raise typer.Exit(130) from None
    if result.already_complete:
        console.print(f"{result.directory}: already complete ({result.experiments:,} experiments in "
                      f"{result.chunks} chunks); nothing to run")
        return
    console.print(
        f"{result.directory}: {result.experiments:,} experiments ({result.samples} samples x "
        f"{result.replications} replications x {len(result.strategies)} strategies), {result.chunks_run} chunks run"
        + (f", {result.chunks_kept} kept" if result.chunks_kept else "")
        + f", {result.experiments_per_second:,.1f} experiments/s"
    )
    if result.chunks_quarantined:
        console.print(f"{result.chunks_quarantined} damaged chunk file(s) were moved to "
                      f"{result.directory / 'quarantine'} (each with a .reason.txt) and run again")
    console.print(f"read it with offramp.load({str(result.directory)!r}) or pyarrow.dataset.dataset('{result.directory}/chunks')")


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
        Optional[Path], typer.Option(help="criteria file (TOML): objective, satisficing, discovery, claim audit "
                                          "[default: settlement within 52 weeks >= 0.25, direct conflict <= 0.05]")
    ] = None,
    report: Annotated[Optional[Path], typer.Option(help=_analyze_help("report"))] = None,
    tables: Annotated[Optional[Path], typer.Option(help=_analyze_help("tables"))] = None,
    discover: Annotated[
        Optional[list[str]], typer.Option(help=_analyze_help("discover", "the criteria's, or the best-ranked "
                                                                         "strategy that fails somewhere")
                                          + " (repeat for several)")
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help=_analyze_help("seed"))] = None,
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
        **_given(report=report, tables=tables, discover=tuple(discover) if discover else None, seed=seed),
        progress=progress,
    )
    analysis = analyze(directory, criteria, tables=options.tables, discover=options.discover, seed=options.seed,
                       progress=options.progress)
    if options.report is not None:
        with progress_bar("writing the report", total=1, enabled=options.progress) as advance:
            write_report(analysis, options.report)
            advance(1)
    print_analysis(analysis, console)
    for path, what in ((options.report, "report"), (options.tables, "tables")):
        if path is not None:
            console.print(f"{what}: {path}")


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
