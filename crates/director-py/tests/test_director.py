"""The `director` Python package against the built extension (``maturin develop``).

The LLM provider is a tiny ``http.server`` on loopback speaking the OpenAI
chat-completions API: the real HTTP path of the native code, no network.
"""

import asyncio
import inspect
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import director

CODE = "pub fn total(items: &[u64]) -> u64 {\n    let mut sum = 0;\n    for i in items {\n        sum += i;\n    }\n    sum\n}\n"


def completion(content):
    return {
        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


BLOCK = {"verdict": "block", "summary": "overflow", "findings": [{
    "severity": "blocking", "category": "correctness", "title": "sum can overflow", "resources": [],
    "path": "src/sum.rs", "start_line": 4, "end_line": 4, "evidence": "sum += i;",
    "recommendation": "use checked_add"}]}
PASS = {"verdict": "pass", "summary": "fine", "findings": []}


class Provider:
    """An OpenAI-compatible mock: the Code Quality Director blocks, the others pass."""

    def __init__(self, delay=0.0):
        self.requests = 0
        self.delay = delay
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests += 1
                time.sleep(provider.delay)
                user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
                verdict = BLOCK if "DirQuality_Agent" in user else PASS
                data = json.dumps(completion(json.dumps(verdict))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith(("DIRECTOR_", "OPENAI_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "sum.rs").write_text(CODE)
    tasks = root / ".director" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "sum.toml").write_text('id = "sum"\ntitle = "Sum items"\npaths = ["src"]\n')
    # Outside git there is no trusted base, so this repository configuration is not
    # applied (director's trust rule); tests that need settings pass config={...}.
    (root / ".director" / "config.toml").write_text("[provider]\nmax_retries = 0\n[cache]\nenabled = false\n")
    return root


@pytest.fixture
def provider():
    p = Provider()
    yield p
    p.close()


def test_offline_verify(repo):
    record = director.Verifier(repo=str(repo), offline=True).verify("sum")
    assert record.decision == "pass"
    assert record.passed
    data = record.to_dict()
    assert data["llm"]["configured"] is False
    assert all(d["status"] == "skipped" for d in record.directors)
    assert json.loads(record.to_json())["run_id"] == record.run_id


def test_blocking_verdict(repo, provider):
    record = director.Verifier(repo=str(repo), base_url=provider.url).verify("sum")
    assert record.decision == "block", record.reason
    assert record.blocking[0]["directors"] == ["code-quality"]
    assert record.blocking[0]["path"] == "src/sum.rs"
    assert provider.requests > 0


def test_a_task_object_and_input_errors(repo):
    verifier = director.Verifier(repo=str(repo), offline=True)
    record = verifier.verify(director.Task(id="adhoc", title="Review the sum", paths=["src"]))
    assert record.to_dict()["task"]["id"] == "adhoc"
    with pytest.raises(director.InputError) as err:
        verifier.verify("no-such-task")
    assert isinstance(err.value, director.DirectorError)
    assert "no-such-task" in err.value.message
    assert err.value.hint
    with pytest.raises(director.ConfigError) as err:
        director.Verifier(repo=str(repo), config={"nope": 1})
    assert "timeout_secs" in err.value.hint
    with pytest.raises(TypeError):
        verifier.verify(42)


def test_async_use_and_the_gil_is_released(repo):
    slow = Provider(delay=0.3)
    try:
        # No verdict cache: every call below must really wait for the slow provider.
        verifier = director.Verifier(repo=str(repo), base_url=slow.url, config={"cache": False})

        async def main():
            ticks = 0

            async def tick():
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            ticker = asyncio.ensure_future(tick())
            records = await asyncio.gather(verifier.averify("sum"), verifier.averify(director.Task(id="t2", title="again", paths=["src"])))
            ticker.cancel()
            return records, ticks

        (a, b), ticks = asyncio.run(main())
        assert a.decision == b.decision == "block"
        assert ticks > 10, "the event loop kept running while director verified"

        # The synchronous call releases the GIL: another Python thread runs meanwhile.
        counter = [0]
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                counter[0] += 1
                time.sleep(0.001)

        t = threading.Thread(target=spin)
        t.start()
        verifier.verify("sum")
        stop.set()
        t.join()
        assert counter[0] > 50
    finally:
        slow.close()

    async def failing():
        with pytest.raises(director.InputError):
            await director.Verifier(repo=str(repo), offline=True).averify("missing")

    asyncio.run(failing())


def test_the_tool_wrapper_as_a_framework_calls_it(repo, provider):
    tool = director.as_tool(repo=str(repo), base_url=provider.url)
    # What LangGraph / the OpenAI Agents SDK read: name, docstring, annotations, schema.
    assert tool.__name__ == "verify_task"
    assert tool.__doc__.startswith("Verify a finished coding task")
    params = inspect.signature(tool).parameters
    assert list(params) == ["task_id", "title", "description", "paths"]
    assert params["task_id"].annotation in (str, "str")
    schema = tool.openai_schema["function"]
    assert schema["name"] == "verify_task"
    assert schema["parameters"]["required"] == ["task_id"]
    assert tool.__director_schema__ == schema
    # The model answers with JSON arguments; the framework calls the function with them.
    arguments = json.dumps({"task_id": "sum"})
    result = json.loads(tool(**json.loads(arguments)))
    assert result["decision"] == "block"
    assert result["blocking"][0] == {"location": "src/sum.rs:4", "title": "sum can overflow", "fix": "use checked_add"}
    assert result["record"].startswith(".director/runs/sum/")
    # Errors come back as JSON the agent can read, not as exceptions.
    err = json.loads(tool(task_id="missing"))
    assert err["decision"] == "error" and err["hint"]
