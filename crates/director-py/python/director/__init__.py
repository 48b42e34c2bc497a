"""director: a multi-agent verification gate for finished work.

    from director import Verifier, Task
    verifier = Verifier(repo=".", base_url="http://127.0.0.1:8080/v1")
    record = verifier.verify("infra-42")          # or: await verifier.averify(task)
    print(record.decision, record.reason)

A task is a task id (``.director/tasks/<id>.toml``) or a :class:`Task`. The
verification runs in the native extension, on its own tokio runtime, with the GIL
released; errors are :class:`DirectorError` subclasses carrying director's message and
hint. :func:`as_tool` makes a plain, JSON-schema'd function for agent frameworks.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Union

from . import _director

__all__ = [
    "ConfigError",
    "DirectorError",
    "InputError",
    "InternalError",
    "ProviderError",
    "Record",
    "Task",
    "Verifier",
    "as_tool",
    "__version__",
]

__version__: str = _director.version()


class DirectorError(Exception):
    """A verification could not be run. ``message`` says what, ``hint`` what to do."""

    kind = "error"

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message if hint is None else f"{message}\nhint: {hint}")
        self.message = message
        self.hint = hint


class InputError(DirectorError):
    """Bad input: an unknown task, an invalid task, a bad git ref or path."""

    kind = "input"


class ConfigError(DirectorError):
    """Invalid configuration or Director definitions."""

    kind = "config"


class ProviderError(DirectorError):
    """The LLM provider could not be set up."""

    kind = "provider"


class InternalError(DirectorError):
    """An unexpected failure inside director (a bug), or a file that could not be read or written."""

    kind = "internal"


_ERRORS = {"input": InputError, "config": ConfigError, "provider": ProviderError}


def _error(kind: str, message: str, hint: Optional[str]) -> DirectorError:
    return _ERRORS.get(kind, InternalError)(message, hint)


@dataclass
class Task:
    """A finished piece of work to verify (the fields of ``.director/tasks/<id>.toml``)."""

    id: str
    title: str
    description: str = ""
    criteria: List[str] = field(default_factory=list)
    base: Optional[str] = None
    head: Optional[str] = None
    scope: List[str] = field(default_factory=list)
    paths: List[str] = field(default_factory=list)
    environment: Optional[str] = None

    def to_json(self) -> str:
        """The task as director's task JSON."""
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, [])})


class Record:
    """The run record of one verification: one decision and everything behind it."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = data

    @property
    def decision(self) -> str:
        """``"pass"``, ``"block"`` or ``"incomplete"``."""
        return self._data["decision"]

    @property
    def reason(self) -> str:
        """One line on why."""
        return self._data["reason"]

    @property
    def passed(self) -> bool:
        """True when the work may be marked complete."""
        return self.decision == "pass"

    @property
    def run_id(self) -> str:
        """The run's id (``.director/runs/<task>/<run_id>.json``)."""
        return self._data["run_id"]

    @property
    def findings(self) -> List[Dict[str, Any]]:
        """Every finding, merged across Directors and analyzers; ``blocks`` marks the blocking ones."""
        return self._data["findings"]

    @property
    def blocking(self) -> List[Dict[str, Any]]:
        """The findings that block."""
        return [f for f in self.findings if f.get("blocks")]

    @property
    def directors(self) -> List[Dict[str, Any]]:
        """What each Director did (ran, skipped, failed) and why."""
        return self._data["directors"]

    def to_dict(self) -> Dict[str, Any]:
        """The record as plain data (a copy)."""
        return json.loads(json.dumps(self._data))

    def to_json(self, indent: Optional[int] = None) -> str:
        """The record as JSON (director's run-record schema)."""
        return json.dumps(self._data, indent=indent)

    def __repr__(self) -> str:
        return f"Record(decision={self.decision!r}, reason={self.reason!r}, findings={len(self.findings)})"


TaskLike = Union[str, Task]


def _task_args(task: TaskLike) -> Dict[str, Any]:
    if isinstance(task, Task):
        return {"task_json": task.to_json()}
    if isinstance(task, str):
        return {"task_id": task}
    raise TypeError(f"a task is a task id (str) or a director.Task, not {type(task).__name__}")


class Verifier:
    """Verifies tasks in one repository. Share one verifier across tasks: they share
    the provider's rate limits, concurrency cap and circuit breaker.

    ``config`` sets the command-line layer of configuration: ``timeout_secs``,
    ``max_concurrency``, ``cache`` (bool), ``budget_tokens``, ``budget_usd``,
    ``on_incomplete`` (``"fail"`` or ``"pass-with-warning"``), ``write_record`` (bool).
    """

    def __init__(
        self,
        repo: str = ".",
        model: Optional[str] = None,
        base_url: Optional[str] = None,
        offline: bool = False,
        config: Optional[Dict[str, Any]] = None,
    ) -> None:
        try:
            self._native = _director.NativeVerifier(
                repo=str(repo),
                model=model,
                base_url=base_url,
                offline=offline,
                config_json=None if config is None else json.dumps(config),
            )
        except _director.NativeError as e:
            raise _error(*e.args) from None

    @property
    def repo_root(self) -> str:
        """The repository root director works in."""
        return self._native.repo_root()

    def verify(self, task: TaskLike) -> Record:
        """Verify ``task`` (a task id or a :class:`Task`); blocks this thread, not the GIL."""
        args = _task_args(task)
        try:
            return Record(json.loads(self._native.verify(**args)))
        except _director.NativeError as e:
            raise _error(*e.args) from None

    async def averify(self, task: TaskLike) -> Record:
        """Verify ``task`` without blocking the event loop."""
        args = _task_args(task)
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Record]" = loop.create_future()

        def settle(error: Optional[tuple], record_json: Optional[str]) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(_error(*error))
            else:
                future.set_result(Record(json.loads(record_json or "{}")))

        def done(error: Optional[tuple], record_json: Optional[str]) -> None:
            # Called on one of the extension's threads: hand over to the loop's thread.
            loop.call_soon_threadsafe(settle, error, record_json)

        self._native.verify_background(done, **args)
        return await future


_TOOL_DOC = """Verify a finished coding task with director, the completion gate.

Runs specialist reviewers (Directors) and deterministic analyzers over the change and
returns one decision: "pass" (the work may be marked complete), "block" (fix the
listed findings first) or "incomplete" (verification could not finish; not a code
problem). Call it when you believe the task is done.

Args:
    task_id: The task id (.director/tasks/<id>.toml), or a new id for an ad-hoc task.
    title: For an ad-hoc task: one line saying what was asked.
    description: For an ad-hoc task: what was asked, in prose.
    paths: Review these files or folders whole instead of the git change.

Returns:
    JSON: {"decision", "reason", "blocking": [{"location", "title", "fix"}], "warnings", "record"}.
"""

_TOOL_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "task_id": {"type": "string", "description": "The task id (.director/tasks/<id>.toml), or a new id for an ad-hoc task."},
        "title": {"type": ["string", "null"], "description": "For an ad-hoc task: one line saying what was asked."},
        "description": {"type": ["string", "null"], "description": "For an ad-hoc task: what was asked, in prose."},
        "paths": {"type": ["array", "null"], "items": {"type": "string"}, "description": "Review these files or folders whole instead of the git change."},
    },
    "required": ["task_id"],
    "additionalProperties": False,
}


def _location(f: Dict[str, Any]) -> str:
    path, line = f.get("path"), f.get("start_line")
    return f"{path}:{line}" if path and line else (path or "(no file)")


def as_tool(verifier: Optional[Verifier] = None, **verifier_args: Any) -> Callable[..., str]:
    """A plain function, ``verify_task(task_id, title=None, description=None, paths=None) -> str``,
    with a docstring, type annotations and its JSON schema (``openai_schema``,
    ``__director_schema__``), for LangGraph, the OpenAI Agents SDK, CrewAI, AutoGen or
    smolagents tool decorators. It returns JSON, errors included, so an agent can read it.
    """
    v = verifier if verifier is not None else Verifier(**verifier_args)

    def verify_task(
        task_id: str,
        title: Optional[str] = None,
        description: Optional[str] = None,
        paths: Optional[List[str]] = None,
    ) -> str:
        task: TaskLike = task_id
        if title is not None or paths:
            task = Task(id=task_id, title=title or task_id, description=description or "", paths=list(paths or []))
        try:
            record = v.verify(task)
        except DirectorError as e:
            return json.dumps({"decision": "error", "error": e.message, "hint": e.hint})
        out = {
            "decision": record.decision,
            "reason": record.reason,
            "blocking": [
                {"location": _location(f), "title": f["title"], "fix": f.get("recommendation", "")}
                for f in record.blocking
            ],
            "warnings": [
                f"{_location(f)}: {f['title']}" for f in record.findings if not f.get("blocks") and f.get("severity") == "warning"
            ],
            "record": f".director/runs/{record.to_dict()['task']['id']}/{record.run_id}.json",
        }
        return json.dumps(out)

    verify_task.__doc__ = _TOOL_DOC
    schema = {"name": "verify_task", "description": _TOOL_DOC.split("\n\n")[0], "parameters": _TOOL_SCHEMA}
    verify_task.__director_schema__ = schema  # type: ignore[attr-defined]
    verify_task.openai_schema = {"type": "function", "function": schema}  # type: ignore[attr-defined]
    return verify_task
