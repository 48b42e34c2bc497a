"""Type stubs of the native extension (director-py, PyO3)."""

from typing import Callable, Optional, Tuple

class NativeError(Exception):
    """args: (kind, message, hint)."""

class NativeVerifier:
    def __init__(
        self,
        repo: Optional[str] = None,
        model: Optional[str] = None,
        base_url: Optional[str] = None,
        offline: bool = False,
        config_json: Optional[str] = None,
    ) -> None: ...
    def repo_root(self) -> str: ...
    def verify(self, task_id: Optional[str] = None, task_json: Optional[str] = None) -> str: ...
    def verify_background(
        self,
        callback: Callable[[Optional[Tuple[str, str, Optional[str]]], Optional[str]], None],
        task_id: Optional[str] = None,
        task_json: Optional[str] = None,
    ) -> None: ...

def version() -> str: ...
