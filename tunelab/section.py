"""`Section`, the base of every stage's typed settings, and how settings are read into one: a
bad key or value is one TunelabError naming the field and its line (a misspelled key the one it
meant), a YAML file's keys by their lines, and `--set key=value` overrides."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, ValidationInfo

from tunelab.errors import TunelabError
from tunelab.meant import closest_name
from tunelab.setting_names import unknown_key, value_for_a_section

# Set while a config is being validated: a section inside it lets its errors rise to the outermost,
# which names them by their full path (train.lr) as one TunelabError.
_validating: ContextVar[bool] = ContextVar("validating", default=False)


class Section(BaseModel):
    """The base of every stage's settings. A misspelled key fails loudly instead of being ignored,
    a bad value is a TunelabError naming the field, and each field's docstring is its description
    (the help of its command-line option: tunelab.options)."""

    # validate_assignment: a notebook sets fields on a loaded config (`c.train.batch_size = -3`
    # looped forever in training; `c.train.lr = "abc"` failed deep in the scheduler).
    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, validate_assignment=True
    )
    # The section of a run's config whose settings this one holds as its own (`data` for the
    # data commands'): `--set data.fields.question=...` reads as `fields.question` here.
    run_section: ClassVar[str | None] = None
    # Those of its settings that section's spelling reaches, where some share a name and not a
    # meaning with it (data generate's sampling `seed` is no split seed); None: all of them.
    run_keys: ClassVar[frozenset[str] | None] = None

    def __init__(self, /, **values: Any) -> None:
        with _named_errors(type(self).__name__, type(self), {}):
            super().__init__(**values)

    def __setattr__(self, name: str, value: Any) -> None:
        # pydantic keeps a value its model validators refused: put the old one back, so a
        # notebook that carries on does not train with a config it was told is wrong.
        if name not in type(self).model_fields and not name.startswith("_"):
            raise TunelabError(f"{name}: {unknown_key((name,), type(self))}")
        old, was_set = self.__dict__.get(name), name in self.model_fields_set
        try:
            with _named_errors(type(self).__name__, type(self), {}):
                super().__setattr__(name, value)
        except TunelabError:
            if name in type(self).model_fields:
                self.__dict__[name] = old
                if not was_set:
                    self.model_fields_set.discard(name)
            raise

    @classmethod
    def from_dict(
        cls,
        raw: dict[str, Any],
        overrides: list[str] | None = None,
        source: str = "config",
        lines: dict[str, int | str] | None = None,
    ) -> Self:
        """From plain values (a YAML file's, a command line's), with `--set key=value` overrides;
        `lines` maps a key (train.lr) to its line in the source, for the errors to name."""
        overrides = [_run_spelling_read(cls, item) for item in overrides or []]
        lines = dict(lines or {})
        for item in overrides:  # a key no YAML line holds (`trian` of trian.lr) came from --set
            parts = item.partition("=")[0].strip().split(".")
            for depth in range(1, len(parts) + 1):
                lines.setdefault(".".join(parts[:depth]), "--set")
        with _named_errors(source, cls, lines):
            return cls.model_validate(apply_overrides(raw, overrides, cls))


def _run_spelling_read(section: type[Section], override: str) -> str:
    """`--set data.fields.question=Question` as a run's config spells it, read by a command whose
    own config holds that section's settings itself (data check, split, inspect): one spelling
    for every command, as the hints that print it assume. Only its own section: `train.seed`
    is no data setting."""
    key, equals, value = override.partition("=")
    prefix, _, rest = key.strip().partition(".")
    name = rest.partition(".")[0]
    reached = section.run_keys if section.run_keys is not None else section.model_fields
    if prefix == section.run_section and name in reached:
        return rest + equals + value
    return override


@contextmanager
def _named_errors(
    source: str, model: type[BaseModel], lines: dict[str, int | str]
) -> Iterator[None]:
    if _validating.get():
        yield
        return
    token = _validating.set(True)
    try:
        yield
    except ValidationError as err:
        raise TunelabError(_invalid(err, source, model, lines)) from None
    finally:
        _validating.reset(token)


def _invalid(
    err: ValidationError, source: str, model: type[BaseModel], lines: dict[str, int | str]
) -> str:
    out = [f"{source}: invalid config"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"])
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = unknown_key(e["loc"], model)
        if e["type"] == "model_type" and isinstance(e.get("input"), str | int | float):
            message = value_for_a_section(e["loc"], e["input"], model)
        if e["type"] == "string_type" and not isinstance(e.get("input"), dict | list | None):
            # YAML reads yes/no/off as booleans, 2024 and 0123 (83) as numbers, 2024-01-05 as a
            # date: what it read is no longer the text written, so none of it is taken as text.
            read = e["input"]
            shown = str(read).lower() if isinstance(read, bool) else repr(read)
            message += f" (YAML read it as {shown}: put the text in quotes)"
        elif (
            e["type"] != "extra_forbidden"
            and isinstance(e.get("input"), str | int | float)
            and not _shows(message, e["input"])
        ):
            # pydantic names what it wanted, not what it read
            message += f" (given: {e['input']!r}{_meant_choice(e, model)})"
        # A validator's message that starts with the field's name says it whole, as does one of
        # the whole config (no field to name).
        whole = not where or message.startswith(f"{where} ")
        # Where the value came from: its line in the YAML, or the command line's --set.
        at = lines.get(where)
        line = f"line {at}: " if isinstance(at, int) else f"{at} " if at else ""
        out.append(f"  {line}{message}" if whole else f"  {line}{where}: {message}")
    return "\n".join(out)


def _shows(message: str, value: str | int | float) -> bool:
    """Whether pydantic's message already shows the value read: a text quoted as it quotes one.
    Unquoted, a typo that begins a choice ('rephrasing' in "... or 'rephrasings'") read as
    shown, and the message named neither it nor what was meant."""
    if isinstance(value, str):
        return repr(value) in message
    return str(value) in message


def _meant_choice(error: Any, model: type[BaseModel]) -> str:
    """ "; did you mean 'rephrasings'?" for a text close to one of a Literal's choices (the
    one closeness of every "did you mean": meant.closest_name), else ""."""
    if error["type"] != "literal_error" or not isinstance(error["input"], str):
        return ""
    meant = closest_name(error["input"], _choices_at(model, error["loc"]), cutoff=0.7)
    return f"; did you mean {meant!r}?" if meant else ""


def _choices_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The text choices of the Literal at an error's `loc` (data.held_out), read from the fields'
    annotations: pydantic's English "Input should be 'a' or 'b'" is no interface to parse."""
    annotation: Any = model
    for part in loc:
        inner = _unwrapped(annotation)
        sections = [
            kind for kind in inner if isinstance(kind, type) and issubclass(kind, BaseModel)
        ]
        fields = [kind.model_fields[part] for kind in sections if part in kind.model_fields]
        containers = [kind for kind in inner if typing.get_origin(kind) in (dict, list)]
        if fields:
            annotation = fields[0].annotation
        elif containers:  # a dict's key or a list's index: on to what it holds
            annotation = typing.get_args(containers[0])[-1]
        # else a union member's tag ("literal['a','b']", "int"): the same annotation goes on
    return [
        choice
        for kind in _unwrapped(annotation)
        if typing.get_origin(kind) is Literal
        for choice in typing.get_args(kind)
        if isinstance(choice, str)
    ]


def _unwrapped(annotation: Any) -> list[Any]:
    """The kinds an annotation allows: a union's members, each out of its Annotated."""
    if typing.get_origin(annotation) is Annotated:
        return _unwrapped(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [kind for member in typing.get_args(annotation) for kind in _unwrapped(member)]
    return [annotation]


def _at_least_one(value: int | None, info: ValidationInfo) -> int | None:
    if value is not None and value < 1:
        # A slice would read 0 as "none" and -2 as "all but the last two".
        raise ValueError(f"{info.field_name} must be at least 1, got {value}")
    return value


# At most this many (questions, rows...); None for all.
Limit = Annotated[int | None, AfterValidator(_at_least_one)]


def key_lines(text: str) -> dict[str, int]:
    """Each key's line in a YAML mapping, by its dotted path (train.lora.r)."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{prefix}{key.value}"
                lines[name] = key.start_mark.line + 1
                walk(value, f"{name}.")

    walk(yaml.compose(text), "")
    return lines


class UniqueKeyLoader(yaml.SafeLoader):
    """A YAML mapping that names a key twice is an error: PyYAML keeps the last silently, so a
    second `train:` block dropped every setting of the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`, overridable
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{key!r} set twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# What PyYAML's words for the usual slips mean, said after them.
YAML_SLIPS = {
    # A tab, which an editor shows as spaces.
    "found character '\\t'": "a tab; YAML indents and separates with spaces: replace the tab",
    # "C:\data\qa.jsonl": \d is no escape.
    "found unknown escape character": "a backslash in double quotes starts an escape: write a "
    "Windows path in single quotes, or with /",
    "mapping values are not allowed here": 'a value holding ": " goes in quotes (system_prompt: '
    '"Rules: be brief"), and a key is indented as the keys beside it',
}


def yaml_error(source: str, err: yaml.YAMLError) -> str:
    """One line naming the file, line and column; PyYAML's own text spans several lines and
    names "<unicode string>" rather than the file."""
    mark = getattr(err, "problem_mark", None)
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    slip = next((why for words, why in YAML_SLIPS.items() if problem.startswith(words)), None)
    return f"{where}: not valid YAML: {problem}{f': {slip}' if slip else ''}"


def apply_overrides(
    raw: dict[str, Any], overrides: list[str], model: type[BaseModel] | None = None
) -> dict[str, Any]:
    """Apply `--set train.lr=1e-4` style overrides; values are parsed as YAML scalars, but a
    setting of `model` that holds text takes the text as typed: "Be brief #1 priority" is no
    YAML comment, "Rules: be brief" no mapping, name=2024 and system_prompt=yes no number or
    boolean."""
    for item in overrides:
        key, equals, value = item.partition("=")
        parts = key.strip().split(".")
        if not equals or not all(parts):
            raise TunelabError(f"--set {item!r} must look like key.sub=value")
        node = raw
        for depth, part in enumerate(parts[:-1], 1):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # `--set train=5 --set train.lr=1`
                name = ".".join(parts[:depth])
                raise TunelabError(f"--set {item!r}: {name} is {node!r}, not a section")
        if _holds_text(model, parts):
            # Quotes that kept text from YAML before keep it still: "Be brief" is Be brief.
            text = value.strip()
            quoted = len(text) > 1 and text[0] == text[-1] and text[0] in "'\""
            node[parts[-1]] = None if _is_null(value) else text[1:-1] if quoted else text
            continue
        try:
            node[parts[-1]] = yaml.safe_load(value)
        except yaml.YAMLError as err:
            # A value YAML cannot read ("[x", "a: b: c") is still the text the user typed.
            raise TunelabError(yaml_error(f"--set {item!r}", err)) from None
    return raw


def _is_null(value: str) -> bool:
    return value.strip() in ("", "~", "null", "Null", "NULL")


def _holds_text(model: type[BaseModel] | None, parts: list[str]) -> bool:
    """Whether the setting at `parts` (train.lr, data.fields.question) holds text alone: str, an
    optional str, a choice of words or a path."""
    annotation: Any = model
    for part in parts:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return False
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return False
    if typing.get_origin(annotation) is Literal:
        return all(isinstance(choice, str) for choice in typing.get_args(annotation))
    if typing.get_origin(annotation) in (dict, list):  # data.fields={question: prompt}
        return False
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return all(kind in (str, Path) for kind in kinds)


def set_values(section: BaseModel) -> dict[str, Any]:
    """The values set on `section` and its sub-sections, as from_dict takes them: a section made
    by its default factory and then changed (`Config().train.lr = 1e-3`) is not in its parent's
    set fields, and model_dump(exclude_unset=True) left its changes out. What was not set stays
    unset, so a default that fits itself to the model (data.max_length) still does."""
    out: dict[str, Any] = {}
    for name in type(section).model_fields:
        value = getattr(section, name)
        if isinstance(value, BaseModel):
            inner = set_values(value)
            if inner or name in section.model_fields_set:
                out[name] = inner
        elif name in section.model_fields_set:
            out[name] = value
    return out


def flatten(tree: dict, prefix: str = "") -> dict:
    """{"train": {"lr": 1}} → {"train.lr": 1}, the keys `--set` uses."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
