"""Refuse an option given twice when it takes one value.

click keeps the last value of a non-``multiple`` option given twice and says
nothing: ``--weights a --weights b`` would silently use ``b``. Every command of
the ``surveytk`` group is checked before it parses its arguments
(every group of the CLI is a :class:`CheckedGroup`, which calls
:func:`check_repeated_options` on the arguments of the subcommand it resolves).
"""

from __future__ import annotations

from collections.abc import Sequence

import click


def _option_names(command: click.Command) -> dict[str, click.Option]:
    """Every spelling (``--x``, ``-x``, ``--no-x``) of every single-valued option."""
    names: dict[str, click.Option] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.multiple or param.count:
            continue
        for name in (*param.opts, *param.secondary_opts):
            names[name] = param
    return names


def check_repeated_options(command: click.Command, args: Sequence[str]) -> None:
    """Raise :class:`click.UsageError` if ``args`` give a single-valued option twice.

    Parameters
    ----------
    command
        The command whose raw arguments ``args`` are (before click parses them).
    args
        The command's arguments; scanning stops at ``--``. The value after an
        option that takes one is skipped, so a value that looks like an option
        (``--formula "--x"``) is not counted.
    """
    names = _option_names(command)
    seen: dict[str, str] = {}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token == "--":
            break
        head = token.split("=", 1)[0] if token.startswith("--") else token
        param = names.get(head)
        if param is None:
            continue
        key = param.name or head
        if key in seen:
            if seen[key] == head:
                message = f"option {head} given twice; it takes one value (give it once)"
            else:
                message = f"options {seen[key]} and {head} both given; give one of them"
            raise click.UsageError(message)
        seen[key] = head
        takes_value = not param.is_flag and param.nargs != 0
        if takes_value and "=" not in token:
            i += max(param.nargs, 1)


class CheckedGroup(click.Group):
    """A click group that refuses single-valued options given twice to its subcommands."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The subcommand, after checking that no single-valued option is repeated."""
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            check_repeated_options(command, rest)
        return name, command, rest
