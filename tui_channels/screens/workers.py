"""Workers that cannot take the app down: `work` is Textual's, with the error boundary built in.

Textual ends the app when a worker raises, printing a traceback with the local variables of every
frame, which can hold an access token or a password. Every worker of the screens is declared with
this `work` instead: an error that escapes the worker's own handling is shown as one line (its
title and message for our errors, the type and a scrubbed first line for anything else) and the
app keeps running. A test keeps screens from importing Textual's `work` directly.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual import work as textual_work
from textual.dom import DOMNode

from ..errors import describe

Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])


def report_unexpected(node: DOMNode, error: BaseException) -> None:
    """Tell the user about an error nothing else handled, in one line, without a secret."""
    title, message = describe(error)
    node.app.notify(message, title=title, severity="error", markup=False, timeout=10)


def work(*, group: str = "default", exclusive: bool = False, name: str = "") -> Callable[[Method], Method]:
    """Textual's `@work(...)` for async methods, whose errors end as a message, not a crash."""

    def decorator(method: Method) -> Method:
        @functools.wraps(method)
        async def guarded(self: DOMNode, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except Exception as error:
                report_unexpected(self, error)
                return None

        return textual_work(guarded, group=group, exclusive=exclusive, name=name)  # type: ignore[return-value]

    return decorator
