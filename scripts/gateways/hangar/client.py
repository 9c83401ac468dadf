"""Drive MCP Hangar (stdio) with tool calls through its hangar_call tool.

Usage: python client.py MCP_HANGAR_EXE CONFIG_YAML CALLS

Starts `MCP_HANGAR_EXE serve --config CONFIG_YAML` as a stdio MCP server (the
environment passes through, so OTEL_* and MCP_COMPLIANCE_* reach Hangar), then
makes CALLS hangar_call calls, cycling through the five calls below. Closing
the session closes Hangar's stdin, so Hangar shuts down and its OpenTelemetry
BatchLogRecordProcessor flushes. Prints one line per call (CALL <n> <tool>
ok|error|denied|rejected|exception) and a last line CALLS <n>; exits 1 if a call
raised or the session failed.

The cycle (from ../../../../shared/gateway-samples/mcp-hangar/scripts/):
echo (success), read_file (success, 4096 bytes), fail (tool error),
delete_everything (denied by the config's deny_list), no_such_tool (rejected
by Hangar's request validation: no audit record).
"""
import asyncio
import json
import os
import sys

import mcp.client.stdio as stdio_transport
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

# When the session closes, the SDK gives the server 2 s to exit before it
# kills it; Hangar's shutdown (with its OTLP audit export flush) can take
# longer on a busy machine, and a killed Hangar loses its last batch.
stdio_transport.PROCESS_TERMINATION_TIMEOUT = 60.0

CYCLE = [
    ("echo", {"text": "hello"}),
    ("read_file", {"path": "/etc/passwd"}),
    ("fail", {"reason": "boom"}),
    ("delete_everything", {"confirm": True}),
    ("no_such_tool", {}),
]


def outcome(res):
    if getattr(res, "is_error", getattr(res, "isError", False)):
        return "error"
    text = " ".join(getattr(c, "text", "") for c in res.content)
    try:
        answer = json.loads(text)
    except ValueError:
        return "unparsed"
    if answer.get("validation_errors"):
        return "rejected"
    if answer.get("success"):
        return "ok"
    results = answer.get("results") or [{}]
    return "denied" if "Denied" in str(results[0].get("error_type", "")) else "error"


async def main(exe, config, count):
    params = StdioServerParameters(command=exe, args=["serve", "--config", config], env=dict(os.environ))
    failures = 0
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            tools = {t.name for t in (await s.list_tools()).tools}
            if "hangar_call" not in tools:
                raise SystemExit(f"client: Hangar offers no hangar_call tool (tools: {sorted(tools)})")
            for i in range(count):
                tool, args = CYCLE[i % len(CYCLE)]
                call = {"calls": [{"mcp_server": "stub", "tool": tool, "arguments": args}]}
                try:
                    res = await s.call_tool("hangar_call", call)
                    print("CALL", i + 1, tool, outcome(res), flush=True)
                except Exception as e:  # noqa: BLE001 - report and go on
                    failures += 1
                    print("CALL", i + 1, tool, "exception", type(e).__name__, str(e)[:200], flush=True)
    print("CALLS", count, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
