#!/bin/sh
# A fast stand-in for `claude -p --input-format stream-json --output-format stream-json ...`, for faults the
# real CLI will not produce on demand and for benchmarks. It answers the initialize control request, reads
# one user line, and prints a stream-json answer shaped like claude 2.1.197's. A marker in the user's text
# picks a fault: FAKE:crash-before-output, FAKE:crash-mid-stream, FAKE:hang, FAKE:hang-mid-stream,
# FAKE:garbage-line, FAKE:slow (one delta every 200 ms), FAKE:pause (2.5 s of silence after the first delta),
# FAKE:exit-silently, FAKE:echo-env (answers with its ANTHROPIC_BASE_URL), FAKE:echo-cwd (answers with its cwd),
# FAKE:flood (64 KB deltas without end), FAKE:endless-line (output without a newline, without end).
# FAKE_CLAUDE_PID_DIR, when set, receives a file named after this process's pid while it runs.
case "$1" in
  --version) echo "2.1.197 (Claude Code)"; exit 0 ;;
esac
if [ -n "$FAKE_CLAUDE_PID_DIR" ]; then
  echo "$$" > "$FAKE_CLAUDE_PID_DIR/$$"
  trap 'rm -f "$FAKE_CLAUDE_PID_DIR/$$"' EXIT
fi
sid="fa4e0000-0000-4000-8000-000000000000"

IFS= read -r init || exit 0
request_id=$(printf '%s' "$init" | sed -n 's/.*"request_id":"\([^"]*\)".*/\1/p')
printf '{"type":"control_response","response":{"subtype":"success","request_id":"%s","response":{"models":[{"value":"default","resolvedModel":"claude-opus-4-8[1m]","displayName":"Default"},{"value":"sonnet","resolvedModel":"claude-sonnet-5","displayName":"Sonnet"},{"value":"haiku","resolvedModel":"claude-haiku-4-5-20251001","displayName":"Haiku"}],"pid":%s}}}\n' "$request_id" "$$"
IFS= read -r user || exit 0

event() { printf '{"type":"stream_event","event":%s,"session_id":"%s","parent_tool_use_id":null}\n' "$1" "$sid"; }
delta() { event "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"$1\"}}"; }

case "$user" in
  *FAKE:crash-before-output*) echo "fake-claude: simulated crash before output" >&2; exit 3 ;;
  *FAKE:exit-silently*) exit 0 ;;
  *FAKE:hang\"*|*FAKE:hang\ *|*FAKE:hang) exec sleep 3600 ;;
esac

printf '{"type":"system","subtype":"init","cwd":"%s","session_id":"%s","tools":[],"mcp_servers":[],"model":"claude-fake-1[1m]","permissionMode":"default","apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.197"}\n' "$PWD" "$sid"
case "$user" in *FAKE:garbage-line*) echo "this is not json {" ;; esac
event '{"type":"message_start","message":{"id":"msg_fake_cli","type":"message","role":"assistant","model":"claude-fake-1","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1,"cache_creation_input_tokens":5,"cache_read_input_tokens":100}}}'
event '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'
delta "Hello"
case "$user" in
  *FAKE:crash-mid-stream*) echo "fake-claude: simulated crash mid-stream" >&2; exit 9 ;;
  *FAKE:hang-mid-stream*) exec sleep 3600 ;;
  *FAKE:pause*) sleep 2.5 ;;
  *FAKE:echo-env*) delta "[base_url=${ANTHROPIC_BASE_URL:-unset}]" ;;
  *FAKE:echo-cwd*) delta "[cwd=$PWD]" ;;
  *FAKE:flood*) chunk=$(head -c 65536 /dev/zero | tr '\0' x); while :; do delta "$chunk" || exit 0; done ;;
  *FAKE:endless-line*) printf '{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'; exec tr '\0' x < /dev/zero ;;
  *FAKE:slow*) for piece in " s" "l" "o" "w" " w" "o" "r" "l" "d"; do sleep 0.2; delta "$piece"; done ;;
esac
delta " from the fake CLI"
printf '{"type":"assistant","message":{"id":"msg_fake_cli","type":"message","role":"assistant","model":"claude-fake-1","content":[{"type":"text","text":"Hello from the fake CLI"}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"%s"}\n' "$sid"
event '{"type":"content_block_stop","index":0}'
event '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}'
event '{"type":"message_stop"}'
printf '{"type":"result","subtype":"success","is_error":false,"api_error_status":null,"duration_ms":1,"num_turns":1,"result":"Hello from the fake CLI","stop_reason":"end_turn","session_id":"%s","total_cost_usd":0,"usage":{"input_tokens":21,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":9}}\n' "$sid"
# Like the real CLI in stream-json input mode: wait for more input, exit at EOF.
cat > /dev/null
