"""A command's options made from its stage's config: each is a field of the config, with the
field's default as its default and the field's docstring as its help, so the command line and
the Python API cannot drift apart. `--set key=value` reaches every field, named or not. The
config holds only the settings the command line names, so its `model_fields_set` tells them
from the defaults, as it does for a config made in Python."""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from tunelab.section import Section

SET_HELP = "Any other setting of this command's config, as key=value (repeatable)."
# The --allow-host of every tunelab web server (serve, rate): see tunelab.web.host_allowed.
AllowHost = Annotated[
    list[str] | None,
    typer.Option(
        help="A name clients reach the server by, besides its address and localhost (e.g. behind "
        "a proxy); requests naming any other Host are refused. Repeatable."
    ),
]

# The --port of every tunelab web server (serve, rate): out of range, typer refuses it (exit 2)
# before the page is announced; a taken port is refused when the server binds.
Port = Annotated[
    int, typer.Option(min=1, max=65535, help="The port to listen on (refused at once if taken).")
]


def options(
    section: type[Section],
    *names: str,
    flags: dict[str, tuple[str, ...]] | None = None,
    envvars: dict[str, str] | None = None,
    source: str,
) -> Callable[[Callable], Callable]:
    """Give a command an option for each field in `names` and `--set`; the command's `config`
    parameter receives the `section` built from those named (on the command line, by their
    environment variable or by --set; the fields' defaults fill the rest), with `source` naming
    it in errors. A command parameter named like a field (an argument, say) goes into the config
    too."""

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        params = [p for p in signature.parameters.values() if p.name != "config"]
        taken = {p.name for p in params} & set(section.model_fields)
        for name in names:
            field = section.model_fields[name]
            option = typer.Option(
                *(flags or {}).get(name, ()),
                help=field.description,
                envvar=(envvars or {}).get(name),
            )
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=field.get_default(call_default_factory=True),
                    annotation=Annotated[_cli_type(field.annotation), option],
                )
            )
        set_option = typer.Option("--set", help=SET_HELP)
        params.append(
            inspect.Parameter(
                "set_",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[list[str] | None, set_option],
            )
        )
        params.append(
            inspect.Parameter(
                "options_ctx_", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context
            )
        )

        @functools.wraps(command)
        def run(**given: Any) -> Any:
            ctx = given.pop("options_ctx_")
            overrides = given.pop("set_") or []
            named = {name: given.pop(name) for name in names}
            # Only the options named (or set by their environment variable): the fields' defaults
            # fill the rest, so that config.model_fields_set tells the two apart.
            values = {
                name: value
                for name, value in named.items()
                if ctx.get_parameter_source(name).name != "DEFAULT"
            }
            values |= {name: given[name] for name in taken}
            # An optional argument left out is None: the field's own default then holds.
            values = {name: value for name, value in values.items() if value is not None}
            return command(**given, config=section.from_dict(values, overrides, source))

        del run.__wrapped__  # typer must see the signature below, not the command's
        run.__signature__ = signature.replace(parameters=params)
        run.__annotations__ = {p.name: p.annotation for p in params}
        run.section = section  # what --set reaches, for a caller holding only the command
        return run

    return decorate


def spelled(
    name: str, names: tuple[str, ...], flags: dict[str, tuple[str, ...]] | None = None
) -> str:
    """How a command made by `options(section, *names, flags=flags)` spells a field: its option
    ("--pairs", "--max-new-tokens"), or --set for a field it names none for."""
    if name not in names:
        return f"--set {name}"
    long = [flag for flag in (flags or {}).get(name, ()) if flag.startswith("--")]
    return long[0] if long else "--" + name.replace("_", "-")


def _cli_type(annotation: Any) -> Any:
    """A field's type as typer reads it: a choice (Literal) is text that the config checks, so a
    bad value is named as in a YAML file."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return str
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(annotation)
        return functools.reduce(lambda a, b: a | b, (_cli_type(a) for a in args))
    if origin is Annotated:
        return _cli_type(typing.get_args(annotation)[0])
    return annotation
