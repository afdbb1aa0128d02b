"""Load a learner's file and run plain-words checks against it.

A check is a function taking the learner's module; its docstring's first line says
what it checks, and it raises CheckFailed with a sentence a newcomer can act on.
Any other exception is reported too, with the line of the learner's file it came from.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")
CheckFunction = Callable[[ModuleType], None]

TIME_LIMIT = 5.0  # seconds; the model answers need milliseconds, but machines get busy
STEP_LIMIT = 100  # steps we allow a microprocess before deciding it never finishes


class CheckFailed(Exception):
    """The learner's code does not meet the specification; str() says why."""


class TookTooLong(BaseException):
    """Raised inside learner code when a time limit runs out (not an Exception, so
    an `except Exception` in the learner's code cannot swallow it)."""


class LoadError(Exception):
    """The learner's file could not be imported; str() says why."""


@dataclass(frozen=True)
class Outcome:
    """The result of one check: problem is None when it passed."""

    chapter: int
    description: str
    problem: str | None


def describe(check: CheckFunction) -> str:
    """The first line of a check's docstring."""
    return (check.__doc__ or check.__name__).strip().splitlines()[0]


def load(path: str | Path) -> ModuleType:
    """Import the learner's file from its path, under a name of its own."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"there is no file at {path}")
    spec = importlib.util.spec_from_file_location(f"learner_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as import does: dataclasses and pickle look here
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(module)
    except SyntaxError as error:
        raise LoadError(f"Python cannot read your file: {error.msg} (line {error.lineno})") from None
    except Exception as error:  # noqa: BLE001 - whatever the learner's file raised is reported
        raise LoadError(f"your file raised {_name(error)} while loading{_where(error, path)}") from None
    return module


def run_checks(chapter: int, checks: list[CheckFunction], module: ModuleType) -> list[Outcome]:
    """Run each check against the module and record what it found."""
    path = Path(module.__file__ or "")
    outcomes = []
    for check in checks:
        description = describe(check)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                check(module)
        except CheckFailed as failure:
            problem: str | None = str(failure)
        except TookTooLong:
            problem = f"your code did not finish within {TIME_LIMIT} s (is there an endless loop?)"
        except Exception as error:  # noqa: BLE001 - reported to the learner as the finding
            problem = f"your code raised {_name(error)}{_where(error, path)}"
        else:
            problem = None
        outcomes.append(Outcome(chapter, description, problem))
    return outcomes


def _name(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _where(error: BaseException, path: Path) -> str:
    """ " (line 12, in recv)" for the deepest frame in the learner's file, if any."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve() == path.resolve()
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (line {frame.lineno}, in {frame.name})"


# -- helpers for writing checks ------------------------------------------------------------


def need(module: ModuleType, name: str, what: str = "class") -> Any:
    """The module's attribute `name`, or a CheckFailed saying it is missing."""
    value = getattr(module, name, None)
    if value is None:
        raise CheckFailed(f"your file has no {what} called {name}")
    if what == "class" and not isinstance(value, type):
        raise CheckFailed(f"{name} should be a class, it is {value!r}")
    if what == "function" and not callable(value):
        raise CheckFailed(f"{name} should be a function, it is {value!r}")
    return value


def expect(condition: bool, message: str) -> None:
    """Fail with message unless condition holds."""
    if not condition:
        raise CheckFailed(message)


def made_by(cls: type, *args: Any) -> Any:
    """cls(*args), with a hint about super().__init__() if the instance lacks our attributes."""
    instance = cls(*args)
    for attribute in ("generator", "done"):
        if not hasattr(instance, attribute):
            raise CheckFailed(
                f"{cls.__name__}(...) has no attribute {attribute!r}: "
                f"does {cls.__name__}.__init__ call super().__init__()?"
            )
    return instance


def run_to_end(microprocess: Any, limit: int = STEP_LIMIT) -> list[Any]:
    """Step an activated microprocess until StopIteration; return what it yielded."""
    yielded = []
    for _ in range(limit):
        try:
            yielded.append(microprocess.step())
        except StopIteration:
            return yielded
    raise CheckFailed(
        f"{type(microprocess).__name__} was still running after {limit} steps; "
        "it should have finished"
    )


@contextlib.contextmanager
def printed() -> Iterator[io.StringIO]:
    """Capture what is printed inside the block."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer


def within(function: Callable[[], T], what: str, seconds: float = TIME_LIMIT) -> T:
    """Call function, failing with a message naming `what` if it runs past the limit."""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _within_alarm(function, what, seconds)
    return _within_thread(function, what, seconds)


def _within_alarm(function: Callable[[], T], what: str, seconds: float) -> T:
    def interrupt(signum: int, frame: Any) -> None:
        raise TookTooLong

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function()
    except TookTooLong:
        raise CheckFailed(f"{what} did not finish within {seconds} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _within_thread(function: Callable[[], T], what: str, seconds: float) -> T:
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(function())
        except BaseException as error:  # noqa: BLE001 - handed back to the caller below
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise CheckFailed(f"{what} did not finish within {seconds} s")
    if errors:
        raise errors[0]
    return result[0]
