#!/usr/bin/env python3
"""Traffic model "startup": many small software companies on one multi-tenant MCP gateway.

Usage: python3 startup.py --seed N --out DIR [--scale 1.0]
Writes DIR/events.jsonl (mcp.audit/1, sorted by occurred_at), DIR/labels.jsonl, DIR/summary.json.
Standard library only; the output is a pure function of (--seed, --scale).

Assumptions of this world (written independently of any detector):
* 8-15 tenants (small software companies) of 5-60 developers (heavy-tailed sizes), all on one
  gateway (source.gateway "mcp-hangar", 3 pods). --scale multiplies members by sqrt(scale) (at least
  3 per tenant) and the call rate by the rest, so the event count scales linearly.
* Developers are remote, in many time zones including +05:30, +05:45, +08:45, -02:30. Habits: day
  (starts 07-10:30 local), late (starts 12-14), split (morning + evening) and night owls (20:00-03:00).
  Some work weekends and skip weekdays; start times and lengths jitter every day.
* Each work block is one agent session (claude-code, cursor, copilot-agent, ...). Agents call tools in
  bursts (mostly 20-200 calls at 0.3-3 s spacing, some tiny bursts), then go quiet; per-minute rates
  are very bursty even in normal use.
* Tool names copy the popular open-source MCP servers. The tool mix depends on the role (backend,
  frontend, data, devops, fullstack); dangerous tools (create_refund, deploy_worker, get_secret,
  apply_migration) belong to few people.
* Result sizes are log-normal with a per-developer multiplier (some read huge files or trees).
  2-5% of calls fail (tool_error / timeout / protocol_error), ~0.5% are denied by policy.
* target.resource_uri carries the resource of each call (file path, repo, table, URL, channel, ...).
  Developers keep opening files they never opened (p_new 5-35% per call), so breadth is naturally high.
* SCHEMA.md has no field for MCP tool annotations, so none are emitted.
* Incidents (4 of each of 7 kinds) are planted after a baseline of >= 4 days; exfiltration and
  breadth replace the member's ordinary calls of that tool inside the window ("ordinary pace").
  Labels: start/end = first/last incident event. Benign confusers are listed in summary.json.
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone

T0 = int(datetime(2026, 8, 10, tzinfo=timezone.utc).timestamp() * 1000)  # a Monday
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
BASE_DAYS = 4            # incidents only after this many days of baseline
TARGET_EVENTS = 850_000  # at scale 1.0

# server -> tool -> (kind, arg_keys, result_median_bytes, result_sigma, args_median_bytes,
#                    duration_median_ms, resource_class, weight_within_server)
CATALOG = {
    "filesystem": {
        "read_file": ("read", ["path"], 6000, 1.2, 60, 3, "file", 40),
        "read_multiple_files": ("read", ["paths"], 30000, 1.1, 240, 9, "dir", 8),
        "write_file": ("write", ["path", "content"], 90, 0.3, 4000, 4, "file", 6),
        "edit_file": ("write", ["path", "edits", "dryRun"], 900, 0.8, 1200, 5, "file", 18),
        "list_directory": ("read", ["path"], 1200, 0.9, 50, 2, "dir", 10),
        "directory_tree": ("read", ["path"], 25000, 1.5, 50, 12, "dir", 3),
        "search_files": ("read", ["path", "pattern", "excludePatterns"], 2500, 1.2, 90, 40, "dir", 10),
        "get_file_info": ("read", ["path"], 280, 0.2, 60, 2, "file", 3)},
    "git": {
        "git_status": ("read", ["repo_path"], 600, 0.9, 50, 35, "repo", 30),
        "git_diff": ("read", ["repo_path", "target"], 8000, 1.5, 70, 60, "repo", 15),
        "git_diff_staged": ("read", ["repo_path"], 6000, 1.4, 50, 50, "repo", 8),
        "git_log": ("read", ["repo_path", "max_count"], 5000, 0.8, 60, 45, "repo", 10),
        "git_show": ("read", ["repo_path", "revision"], 7000, 1.3, 80, 40, "repo", 5),
        "git_add": ("write", ["repo_path", "files"], 60, 0.3, 200, 30, "repo", 12),
        "git_commit": ("write", ["repo_path", "message"], 150, 0.3, 250, 80, "repo", 10),
        "git_create_branch": ("write", ["repo_path", "branch_name", "base_branch"], 90, 0.2, 120, 30, "repo", 3),
        "git_checkout": ("write", ["repo_path", "branch_name"], 80, 0.2, 90, 50, "repo", 4)},
    "github": {
        "get_file_contents": ("read", ["owner", "repo", "path", "branch"], 7000, 1.3, 110, 320, "ghfile", 35),
        "search_code": ("read", ["q", "per_page"], 12000, 1.0, 90, 700, "ghorg", 12),
        "list_pull_requests": ("read", ["owner", "repo", "state"], 15000, 0.9, 70, 400, "ghrepo", 10),
        "get_pull_request": ("read", ["owner", "repo", "pull_number"], 6000, 0.8, 70, 300, "ghrepo", 10),
        "create_pull_request": ("write", ["owner", "repo", "title", "body", "head", "base"], 2500, 0.3, 1500, 900, "ghrepo", 4),
        "list_issues": ("read", ["owner", "repo", "state", "labels"], 14000, 1.0, 80, 400, "ghrepo", 8),
        "create_issue": ("write", ["owner", "repo", "title", "body", "labels"], 2300, 0.3, 900, 700, "ghrepo", 3),
        "add_issue_comment": ("write", ["owner", "repo", "issue_number", "body"], 1800, 0.3, 600, 500, "ghrepo", 5),
        "push_files": ("write", ["owner", "repo", "branch", "files", "message"], 1200, 0.3, 9000, 1400, "ghrepo", 3)},
    "postgres": {
        "query": ("read", ["sql"], 4000, 1.8, 180, 25, "table", 70),
        "list_tables": ("read", ["schema"], 1500, 0.6, 30, 15, "db", 10),
        "describe_table": ("read", ["table_name"], 1800, 0.6, 40, 15, "table", 20)},
    "sqlite": {
        "read_query": ("read", ["query"], 2500, 1.5, 150, 4, "sqlite", 60),
        "write_query": ("write", ["query"], 80, 0.3, 200, 5, "sqlite", 15),
        "list_tables": ("read", [], 600, 0.5, 2, 2, "sqlite", 10),
        "describe_table": ("read", ["table_name"], 900, 0.5, 40, 2, "sqlite", 15)},
    "supabase": {
        "execute_sql": ("read", ["project_id", "query"], 5000, 1.7, 200, 90, "supa", 60),
        "list_tables": ("read", ["project_id", "schemas"], 3000, 0.7, 60, 120, "supaproj", 15),
        "apply_migration": ("write", ["project_id", "name", "query"], 200, 0.3, 1500, 600, "supaproj", 5),
        "get_logs": ("read", ["project_id", "service"], 20000, 1.0, 60, 500, "supaproj", 20)},
    "puppeteer": {
        "puppeteer_navigate": ("send", ["url"], 350, 0.5, 70, 1400, "local", 30),
        "puppeteer_screenshot": ("read", ["name", "selector", "width", "height"], 180000, 0.8, 90, 900, "none", 25),
        "puppeteer_click": ("write", ["selector"], 120, 0.3, 60, 400, "none", 25),
        "puppeteer_fill": ("write", ["selector", "value"], 120, 0.3, 90, 300, "none", 12),
        "puppeteer_evaluate": ("read", ["script"], 2000, 1.2, 300, 200, "none", 8)},
    "brave-search": {
        "brave_web_search": ("read", ["query", "count"], 6000, 0.6, 70, 800, "none", 90),
        "brave_local_search": ("read", ["query", "count"], 4000, 0.6, 60, 900, "none", 10)},
    "fetch": {"fetch": ("read", ["url", "max_length", "start_index", "raw"], 20000, 1.3, 110, 650, "url", 100)},
    "memory": {
        "create_entities": ("write", ["entities"], 400, 0.6, 900, 3, "mem", 20),
        "create_relations": ("write", ["relations"], 300, 0.6, 500, 3, "mem", 10),
        "add_observations": ("write", ["observations"], 300, 0.6, 600, 3, "mem", 20),
        "search_nodes": ("read", ["query"], 2500, 1.0, 50, 4, "mem", 30),
        "read_graph": ("read", [], 15000, 1.0, 2, 5, "mem", 10),
        "open_nodes": ("read", ["names"], 2000, 0.8, 80, 3, "mem", 10)},
    "slack": {
        "slack_list_channels": ("read", ["limit", "cursor"], 5000, 0.5, 30, 300, "chanws", 10),
        "slack_post_message": ("send", ["channel_id", "text"], 400, 0.3, 500, 350, "chan", 25),
        "slack_reply_to_thread": ("send", ["channel_id", "thread_ts", "text"], 400, 0.3, 400, 350, "chan", 15),
        "slack_get_channel_history": ("read", ["channel_id", "limit"], 15000, 1.0, 40, 400, "chan", 35),
        "slack_get_thread_replies": ("read", ["channel_id", "thread_ts"], 4000, 0.8, 50, 300, "chan", 15)},
    "linear": {
        "create_issue": ("write", ["title", "teamId", "description", "priority"], 900, 0.3, 700, 450, "team", 25),
        "list_issues": ("read", ["teamId", "state", "limit"], 12000, 0.8, 60, 400, "team", 35),
        "update_issue": ("write", ["id", "stateId", "assigneeId"], 800, 0.3, 120, 400, "team", 25),
        "search_issues": ("read", ["query"], 8000, 0.8, 60, 450, "team", 15)},
    "notion": {
        "search": ("read", ["query", "filter"], 6000, 0.8, 60, 500, "none", 35),
        "retrieve_page": ("read", ["page_id"], 9000, 1.1, 50, 400, "page", 35),
        "query_database": ("read", ["database_id", "filter"], 14000, 1.0, 120, 600, "page", 15),
        "create_page": ("write", ["parent", "properties", "children"], 1200, 0.3, 3000, 700, "page", 15)},
    "sentry": {
        "get_issue": ("read", ["issue_id_or_url"], 9000, 1.0, 70, 600, "sentry", 45),
        "list_issues": ("read", ["project_slug", "query"], 16000, 0.8, 60, 700, "sentry", 35),
        "search_events": ("read", ["project_slug", "query"], 20000, 1.0, 90, 900, "sentry", 20)},
    "stripe": {
        "list_customers": ("read", ["limit", "email"], 40000, 1.0, 40, 500, "stripe", 30),
        "retrieve_customer": ("read", ["customer"], 3000, 0.5, 40, 300, "stripe", 25),
        "list_payment_intents": ("read", ["limit", "customer"], 30000, 1.0, 50, 500, "stripe", 25),
        "create_refund": ("write", ["payment_intent", "amount", "reason"], 1200, 0.2, 90, 800, "stripe", 5),
        "list_subscriptions": ("read", ["limit", "status"], 25000, 1.0, 40, 500, "stripe", 15)},
    "cloudflare": {
        "list_workers": ("read", [], 4000, 0.6, 2, 400, "cf", 25),
        "get_worker": ("read", ["name"], 30000, 1.0, 30, 400, "cf", 20),
        "deploy_worker": ("write", ["name", "script", "bindings"], 1500, 0.3, 30000, 3000, "cf", 10),
        "kv_get": ("read", ["namespace_id", "key"], 2000, 1.5, 60, 200, "cfkv", 20),
        "kv_put": ("write", ["namespace_id", "key", "value"], 100, 0.2, 1500, 250, "cfkv", 10),
        "get_secret": ("read", ["name"], 110, 0.3, 30, 200, "secret", 8)},
}
ROLES = {
    "backend": {"filesystem": 38, "git": 14, "github": 12, "postgres": 10, "sqlite": 3, "supabase": 3, "fetch": 4,
                "brave-search": 3, "memory": 2, "sentry": 4, "slack": 2, "linear": 2, "notion": 1, "stripe": 1, "cloudflare": 1},
    "frontend": {"filesystem": 44, "git": 14, "github": 12, "puppeteer": 10, "fetch": 5, "brave-search": 4, "memory": 1,
                 "slack": 2, "linear": 3, "notion": 2, "sentry": 2, "cloudflare": 1},
    "data": {"filesystem": 24, "git": 8, "github": 6, "postgres": 24, "sqlite": 8, "supabase": 10, "fetch": 4,
             "brave-search": 3, "notion": 3, "slack": 3, "memory": 2, "stripe": 3},
    "devops": {"filesystem": 26, "git": 12, "github": 16, "cloudflare": 14, "sentry": 8, "fetch": 5, "brave-search": 4,
               "slack": 5, "postgres": 4, "supabase": 3, "memory": 1},
    "fullstack": {"filesystem": 38, "git": 13, "github": 12, "postgres": 6, "supabase": 5, "puppeteer": 6, "fetch": 5,
                  "brave-search": 3, "memory": 2, "sentry": 3, "slack": 2, "linear": 2, "notion": 1, "stripe": 1, "cloudflare": 2},
}
ROLE_WEIGHTS = [("backend", 30), ("frontend", 25), ("fullstack", 25), ("data", 10), ("devops", 10)]
# tools only some people have: tool -> {role: probability}
RESTRICTED = {"create_refund": {"data": 0.3, "backend": 0.2}, "deploy_worker": {"devops": 0.9, "fullstack": 0.2},
              "get_secret": {"devops": 0.7, "backend": 0.1}, "apply_migration": {"backend": 0.5, "data": 0.6, "fullstack": 0.3},
              "push_files": {"devops": 0.5, "backend": 0.2}, "kv_put": {"devops": 0.8, "fullstack": 0.3}}
CORE_SERVERS = ("filesystem", "git", "github")
AGENTS = ["claude-code", "cursor", "copilot-agent", "windsurf", "cline", "codex-cli", "continue", "zed-agent"]
TZ_OFFSETS = [-600, -480, -420, -360, -300, -240, -180, -150, 0, 60, 120, 180, 240, 330, 345, 420, 480, 525, 540, 570, 600, 780]
TENANT_NAMES = ["quillsoft", "nimbuslabs", "tidepool", "brightforge", "stackmint", "orbitly", "ferncode", "lumenhq",
                "pixelcraft", "cobaltworks", "driftwood", "zenrow", "hexafold", "mossbyte", "kitebase"]
FIRST = ["alice", "bob", "chen", "dana", "emeka", "farah", "gita", "hiro", "ines", "jonas", "kofi", "lena", "marco", "nadia",
         "omar", "priya", "quinn", "rahul", "sofia", "tariq", "uma", "viktor", "wen", "xenia", "yusuf", "zoe", "arjun", "bea",
         "carlos", "divya", "elif", "finn", "grace", "hamid", "ivy", "jae", "kiran", "luca", "mei", "nils", "olu", "pablo"]
LAST = ["smith", "kumar", "nguyen", "garcia", "okafor", "muller", "sato", "rossi", "kowalski", "silva", "haddad", "larsen",
        "tanaka", "cohen", "mehta", "novak", "ivanova", "park", "diaz", "fischer", "adeyemi", "shah", "khan", "berg"]
WORDS = ["auth", "billing", "cart", "config", "session", "router", "cache", "queue", "worker", "payment", "invoice", "user",
         "profile", "search", "index", "schema", "migration", "handler", "client", "server", "metrics", "logger", "parser",
         "token", "webhook", "email", "notify", "upload", "export", "report", "dashboard", "settings", "team", "org",
         "plan", "feature", "flag", "rate", "limit", "audit", "event", "stream", "sync", "job", "task", "order", "price",
         "coupon", "theme", "layout", "modal", "button", "form", "table", "chart", "api", "graph", "store", "hooks", "utils"]
LANGS = {"ts": ["src", "src/components", "src/pages", "src/hooks", "src/lib", "tests", "app", "app/api"],
         "py": ["app", "app/api", "app/models", "app/services", "tests", "scripts", "migrations"],
         "go": ["cmd", "internal", "internal/api", "internal/store", "pkg", "pkg/client"],
         "rb": ["app/models", "app/controllers", "app/jobs", "lib", "spec", "db/migrate"],
         "rs": ["src", "src/bin", "crates/core/src", "crates/api/src", "tests"]}
DOC_HOSTS = ["docs.python.org", "developer.mozilla.org", "pkg.go.dev", "docs.rs", "stackoverflow.com", "nodejs.org",
             "react.dev", "nextjs.org", "tailwindcss.com", "www.postgresql.org", "docs.djangoproject.com", "kubernetes.io",
             "docs.stripe.com", "developers.cloudflare.com", "supabase.com", "vitejs.dev", "www.typescriptlang.org"]
ROUTES = ["", "login", "signup", "dashboard", "settings", "billing", "checkout", "cart", "admin", "reports", "profile", "search"]
TABLES = ["users", "accounts", "customers", "orders", "order_items", "invoices", "payments", "subscriptions", "plans",
          "sessions", "events", "audit_log", "feature_flags", "api_keys", "webhooks", "products", "coupons", "teams",
          "memberships", "notifications", "jobs", "uploads", "comments", "tickets"]
CHANNELS = ["general", "dev", "deploys", "incidents", "random", "frontend", "backend", "data", "support", "releases", "standup"]
ERRORS = {"read": ["not_found", "invalid_arguments", "permission_error", "too_large"],
          "write": ["invalid_arguments", "conflict", "not_found", "validation_error"],
          "send": ["navigation_timeout", "invalid_arguments", "rate_limited_upstream"]}
DENY_RULES = ["fs-outside-allowed-roots", "write-protected-branch", "read-only-database", "tool_not_in_access_policy"]


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0.0, sigma))


class Tenant:
    def __init__(self, rng, name, size):
        self.name, self.size = name, size
        self.domain = name + rng.choice([".io", ".dev", ".com", ".app"])
        self.emails = rng.random() < 0.5           # actor ids as emails or github handles
        self.org = name + rng.choice(["", "-hq", "-inc", "-dev"])
        self.home_tz = rng.choice(TZ_OFFSETS)
        self.servers = set(CORE_SERVERS) | {s for s in CATALOG if s not in CORE_SERVERS and rng.random() < 0.6}
        self.repos = []
        for _ in range(6 + int(size * rng.uniform(0.8, 2.0))):
            nm = "-".join(rng.sample(WORDS, rng.choice([1, 2]))) + rng.choice(["", "-api", "-web", "-service", "-infra"])
            if nm not in self.repos:
                self.repos.append(nm)
        self.lang = {r: rng.choice(list(LANGS)) for r in self.repos}
        self.dbhost = f"db.{name}.internal:5432"
        self.tables = ["public." + t for t in rng.sample(TABLES, rng.randint(10, len(TABLES)))]
        self.project = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20))
        self.acct = "acct_" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(16))
        self.workers = [w + "-worker" for w in rng.sample(WORDS, 6)]


class Member:
    def __init__(self, w, idx, tenant, role, uid):
        rng = w.rng
        self.idx, self.tenant, self.role, self.id = idx, tenant, role, uid
        self.roles = ["developer", "admin"] if role == "devops" and rng.random() < 0.5 else ["developer"]
        self.tz = tenant.home_tz if rng.random() < 0.55 else rng.choice(TZ_OFFSETS)
        self.habit = rng.choices(["day", "late", "split", "night"], [68, 10, 10, 12])[0]
        self.weekend = rng.random() < 0.15
        self.base_start = {"day": rng.uniform(7.0, 10.5), "late": rng.uniform(12.0, 14.0), "split": rng.uniform(8.0, 10.0),
                           "night": rng.uniform(19.5, 21.5)}[self.habit]
        n_ag = 1 if rng.random() < 0.65 else 2
        self.agents = rng.sample(AGENTS, n_ag)
        self.agent_w = [1.0] if n_ag == 1 else [0.75, 0.25]
        self.pace_ms = rng.uniform(300, 3000)            # mean gap between calls inside a burst
        self.burst_mu = math.exp(rng.uniform(math.log(25), math.log(110)))
        self.rate = math.exp(rng.gauss(0, 0.5))         # bursts per hour, normalised later
        self.err_rate = rng.uniform(0.02, 0.05)
        self.p_new = rng.uniform(0.05, 0.35)
        self.join_day = 0
        self.blocks = []                                  # [start, end, agent, session, kind]
        weights = {}
        for srv, share in ROLES[role].items():
            if srv not in tenant.servers or (srv not in CORE_SERVERS and rng.random() < 0.25):
                continue
            tools = CATALOG[srv]
            tot = sum(t[7] for t in tools.values())
            for tool, spec in tools.items():
                if tool in RESTRICTED and rng.random() >= RESTRICTED[tool].get(role, 0.0):
                    continue
                if rng.random() < 0.1 and tool not in ("read_file", "query", "get_file_contents"):
                    continue
                weights[(srv, tool)] = share * spec[7] / tot * math.exp(rng.gauss(0, 0.5))
        self.set_tools(weights)
        self.late_tools = None                            # (from_ms, tools, cum) after a server adoption
        self.rmult = {k: math.exp(rng.gauss(0, 0.8 if CATALOG[k[0]][k[1]][0] == "read" else 0.3)) for k in weights}
        own = rng.sample(tenant.repos, min(len(tenant.repos), rng.randint(2, 5)))
        self.repos, self.repo_cum = own, [sum(1.0 / (i + 1) for i in range(j + 1)) for j in range(len(own))]
        self.files = {}
        self.tables = rng.sample(tenant.tables, min(len(tenant.tables), rng.randint(3, 9)))
        self.channels = rng.sample(CHANNELS, 4)
        self.pages = ["%032x" % rng.getrandbits(128) for _ in range(rng.randint(3, 10))]
        self.urls = []
        self.port = rng.choice([3000, 5173, 8080, 4200])

    def set_tools(self, weights):
        self.weights = dict(weights)
        self.tools = list(weights)
        acc, self.cum = 0.0, []
        for k in self.tools:
            acc += weights[k]
            self.cum.append(acc)
        self.servers = sorted({k[0] for k in self.tools})


class World:
    def __init__(self, seed, scale):
        self.rng = rng = random.Random(seed)
        self.seed, self.scale = seed, scale
        self.days = rng.randint(10, 14)
        self.end = T0 + self.days * DAY
        self.ev = []
        self.tenants, self.members, self.confusers, self.labels = [], [], [], []
        self.flaky = (0, 0)
        used_ids = set()
        for name in rng.sample(TENANT_NAMES, rng.randint(8, 15)):
            size = int(5 + 55 * rng.random() ** 2.2)
            t = Tenant(rng, name, size)
            self.tenants.append(t)
            for _ in range(max(3, round(size * math.sqrt(scale)))):
                self.add_member(t, used_ids)
        self.used_ids = used_ids

    def add_member(self, t, used_ids):
        rng = self.rng
        while True:
            f, l = rng.choice(FIRST), rng.choice(LAST)
            if t.emails:
                uid = rng.choice([f"{f}.{l}@{t.domain}", f"{f}@{t.domain}", f"{f[0]}{l}@{t.domain}"])
            else:
                uid = rng.choice([f"{f}{l[:3]}", f"{f}-{l}", f"{f}{rng.randint(1, 99)}", f"{l}{f[0]}-dev", f"{f[0]}{l}"])
            if uid not in used_ids:
                break
        used_ids.add(uid)
        role = rng.choices([r for r, _ in ROLE_WEIGHTS], [w for _, w in ROLE_WEIGHTS])[0]
        m = Member(self, len(self.members), t, role, uid)
        self.members.append(m)
        return m

    # ---------------------------------------------------------------- schedules
    def local_day(self, m, di, hour):
        """UTC ms of local date index di (0 = first day of the window) at local hour."""
        return T0 + di * DAY - m.tz * MIN + int(hour * HOUR)

    def add_block(self, m, s, e, kind="normal"):
        s, e = max(s, T0), min(e, self.end)
        if e - s < 10 * MIN:
            return
        agent = self.rng.choices(m.agents, m.agent_w)[0]
        m.blocks.append([s, e, agent, "s-%012x" % self.rng.getrandbits(48), kind])

    def schedule(self, m):
        r = self.rng
        for di in range(-1, self.days + 1):
            if di < m.join_day:
                continue
            wd = di % 7
            weekend = wd >= 5
            p = (0.5 if m.weekend else 0.04) if weekend else (0.7 if m.weekend else 0.9)
            if r.random() >= p:
                continue
            st = m.base_start + r.gauss(0, 0.6)
            if m.habit == "night":
                st = min(max(st, 19.0), 22.5)
                l1 = r.uniform(2.0, 3.5)
                self.add_block(m, self.local_day(m, di, st), self.local_day(m, di, min(st + l1, 27.0)))
                s2 = st + l1 + r.uniform(0.2, 0.8)
                if s2 < 26.5:
                    self.add_block(m, self.local_day(m, di, s2), self.local_day(m, di, min(s2 + r.uniform(1, 3), 27.5)))
                if r.random() < 0.3:    # occasional afternoon
                    a = r.uniform(14.5, 16.5)
                    self.add_block(m, self.local_day(m, di, a), self.local_day(m, di, a + r.uniform(1, 2)))
                continue
            st = max(st, 6.0)
            l1 = r.uniform(2.0, 4.5)
            self.add_block(m, self.local_day(m, di, st), self.local_day(m, di, st + l1))
            s2 = st + l1 + r.uniform(0.4, 1.2)
            limit = 23.5 if m.habit == "late" else 21.0
            if m.habit != "split" or r.random() < 0.5:
                self.add_block(m, self.local_day(m, di, s2), self.local_day(m, di, min(s2 + r.uniform(2.0, 4.5), limit)))
            if m.habit == "split":
                ev = r.uniform(19.5, 21.0)
                self.add_block(m, self.local_day(m, di, ev), self.local_day(m, di, min(ev + r.uniform(1, 2.5), 23.0)))

    # ---------------------------------------------------------------- resources
    def new_path(self, m, repo):
        r = self.rng
        lang = m.tenant.lang.get(repo, "ts")
        d = r.choice(LANGS[lang])
        if r.random() < 0.5:
            d += "/" + r.choice(WORDS)
        ext = {"ts": r.choice(["ts", "tsx", "json"]), "py": "py", "go": "go", "rb": "rb", "rs": "rs"}[lang]
        return f"{d}/{r.choice(WORDS)}{r.choice(['', '', '_test', '_utils', '2', '_v2'])}.{ext}"

    def pick_file(self, m, repo):
        r = self.rng
        fl = m.files.get(repo)
        if fl is None:
            fl = m.files[repo] = []
        if not fl or r.random() < m.p_new:
            p = self.new_path(m, repo)
            fl.append(p)
            return p
        if len(fl) > 30 and r.random() < 0.7:
            return fl[-1 - int(r.random() * 30)]
        return fl[int(r.random() * len(fl))]

    def resource(self, m, srv, tool, rcls, repo):
        r, t = self.rng, m.tenant
        if rcls == "file":
            return f"file:///workspace/{repo}/{self.pick_file(m, repo)}"
        if rcls == "dir":
            return f"file:///workspace/{repo}/{self.pick_file(m, repo).rsplit('/', 1)[0]}"
        if rcls == "repo":
            return f"file:///workspace/{repo}"
        if rcls == "ghfile":
            return f"github://{t.org}/{repo}/{self.pick_file(m, repo)}"
        if rcls == "ghrepo":
            return f"github://{t.org}/{repo}"
        if rcls == "ghorg":
            return f"github://{t.org}"
        if rcls == "table":
            if r.random() < 0.01:
                m.tables.append(r.choice(t.tables))
            return f"postgres://{t.dbhost}/app/{r.choice(m.tables)}"
        if rcls == "db":
            return f"postgres://{t.dbhost}/app"
        if rcls == "sqlite":
            return f"sqlite:///workspace/{repo}/dev.db"
        if rcls == "supa":
            return f"supabase://{t.project}/{r.choice(m.tables)}"
        if rcls == "supaproj":
            return f"supabase://{t.project}"
        if rcls == "url":
            if m.urls and r.random() < 0.4:
                return r.choice(m.urls)
            u = f"https://{r.choice(DOC_HOSTS)}/{r.choice(WORDS)}/{r.choice(WORDS)}"
            m.urls.append(u)
            return u
        if rcls == "local":
            return f"http://localhost:{m.port}/{r.choice(ROUTES)}"
        if rcls == "mem":
            return f"memory://{t.name}/knowledge-graph"
        if rcls == "chan":
            return f"slack://{t.name}/{r.choice(m.channels)}"
        if rcls == "chanws":
            return f"slack://{t.name}"
        if rcls == "team":
            return f"linear://{t.name}/{m.role}"
        if rcls == "page":
            if r.random() < 0.1:
                m.pages.append("%032x" % r.getrandbits(128))
            return f"notion://{t.name}/{r.choice(m.pages)}"
        if rcls == "sentry":
            return f"sentry://{t.org}/{repo}"
        if rcls == "stripe":
            return f"stripe://{t.acct}/" + {"create_refund": "refunds", "list_payment_intents": "payment_intents",
                                            "list_subscriptions": "subscriptions"}.get(tool, "customers")
        if rcls == "cf":
            return f"cloudflare://{t.name}/workers/{r.choice(t.workers)}"
        if rcls == "cfkv":
            return f"cloudflare://{t.name}/kv/{r.choice(t.workers)}-kv"
        if rcls == "secret":
            return f"cloudflare://{t.name}/secrets/{r.choice(['STRIPE_KEY', 'DATABASE_URL', 'JWT_SECRET', 'SENTRY_DSN'])}"
        return None

    # ---------------------------------------------------------------- calls
    def call(self, m, t, agent, sess, srv, tool, repo, inc=0, res=None, status=None, rbytes=None, abytes=None, akey=None):
        r = self.rng
        kind, keys, rmed, rsig, amed, dmed, rcls, _ = CATALOG[srv][tool]
        if res is None:
            res = self.resource(m, srv, tool, rcls, repo)
        err = None
        if status is None:
            u = r.random()
            if srv == "github" and self.flaky[0] <= t < self.flaky[1] and u < 0.7:
                status, err = ("timeout", "upstream_timeout") if r.random() < 0.3 else ("tool_error", "upstream_502")
            elif u < m.err_rate:
                v = r.random()
                status = "tool_error" if v < 0.85 else ("timeout" if v < 0.95 else "protocol_error")
                err = r.choice(ERRORS[kind]) if status == "tool_error" else ("timeout" if status == "timeout" else "invalid_params")
            elif u < m.err_rate + 0.005:
                status, err = "denied", r.choice(DENY_RULES)
            else:
                status = "success"
        elif status == "denied":
            err = "tool_not_in_access_policy"
        elif status != "success":
            err = r.choice(ERRORS[kind])
        if status == "denied":
            rb, dur = 0, round(r.uniform(0.2, 2.0), 1)
        else:
            if rbytes is not None:
                rb = rbytes
            elif status == "success":
                rb = int(lognorm(r, rmed * m.rmult.get((srv, tool), 1.0), rsig)) + 2
            else:
                rb = r.randint(60, 400)
            dur = round(lognorm(r, dmed, 0.6) * (1.0 + rb / 4e6) * (8.0 if status == "timeout" else 1.0), 1)
        if abytes is None:
            abytes = int(lognorm(r, amed, 0.5)) + 2
        if akey is None:
            akey = f"{tool}|{res}|{r.randrange(4) if kind == 'read' else r.getrandbits(32)}"
        return (t, "T", m.idx, agent, sess, srv, tool, res, status, err, abytes, rb, dur, akey, inc)

    def tools_at(self, m, t):
        if m.late_tools and t >= m.late_tools[0]:
            return m.late_tools[1], m.late_tools[2]
        return m.tools, m.cum

    def burst_size(self, m):
        return burst_size(self.rng, m)

    def burst(self, m, t, n, agent, sess, out, inc=0, end=None):
        r = self.rng
        tools, cum = self.tools_at(m, t)
        repo = r.choices(m.repos, cum_weights=m.repo_cum)[0] if r.random() > 0.03 else r.choice(m.tenant.repos)
        for srv, tool in r.choices(tools, cum_weights=cum, k=n):
            t += 40 + int(r.expovariate(1.0 / m.pace_ms))
            if end is not None and t >= end:
                break
            out.append(self.call(m, t, agent, sess, srv, tool, repo, inc))
            if srv == "github" and out[-1][8] != "success" and self.flaky[0] <= t < self.flaky[1] and r.random() < 0.5:
                t += r.randint(2000, 8000)       # the agent retries the failed github call once
                out.append(self.call(m, t, agent, sess, srv, tool, repo, inc, res=out[-1][7]))
        return t

    def open_session(self, m, t, agent, sess, out, inc=0):
        r = self.rng
        out.append((t, "S", m.idx, agent, sess, None, None, None, "success", None, 180, 240, round(r.uniform(2, 40), 1), None, inc))
        for srv in m.servers:
            t += r.randint(5, 80)
            out.append((t, "L", m.idx, agent, sess, srv, None, None, "success", None, 40, 400 * len(CATALOG[srv]),
                        round(r.uniform(3, 60), 1), None, inc))
        return t

    def gen_blocks(self, m):
        r = self.rng
        for s, e, agent, sess, kind in m.blocks:
            if s > T0:
                t = self.open_session(m, s, agent, sess, self.ev) + int(r.uniform(0.3, 5) * MIN)
            else:                  # session already open when the window starts
                t = s + int(r.uniform(0, 20) * MIN)
            while t < e:
                t = self.burst(m, t, self.burst_size(m), agent, sess, self.ev, end=e)
                t += int(r.expovariate(m.rate / HOUR))

    def normalise_rates(self):
        """Scale burst rates so the expected tool-call count hits the target (each block opens with a burst)."""
        mc = random.Random(12345)
        fixed = variable = 0.0
        for m in self.members:
            hours = sum(b[1] - b[0] for b in m.blocks) / HOUR
            e_size = sum(burst_size(mc, m) for _ in range(200)) / 200.0
            fixed += len(m.blocks) * e_size
            variable += hours * m.rate * e_size
        k = max(0.05 * self.scale, (TARGET_EVENTS * self.scale * 0.93 - fixed) / max(variable, 1.0))
        for m in self.members:
            m.rate *= k


def burst_size(r, m):
    """Calls in one agent burst: mostly 20-200, sometimes a tiny one."""
    if r.random() < 0.15:
        return r.randint(3, 19)
    return min(200, max(20, int(lognorm(r, m.burst_mu, 0.6))))


# ==================================================================== confusers (benign, not labelled)
def iso(ms):
    s, rem = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % rem


def plan_confusers(w):
    """Confusers that shape schedules/tool sets; run before traffic generation."""
    r = w.rng
    mids = sorted(w.tenants, key=lambda t: t.size)[len(w.tenants) // 4:]
    hack, adopt, release = r.sample(mids, 3)
    members_of = lambda t: [m for m in w.members if m.tenant is t]
    # 1. hackathon weekend: whole tenant works Sat+Sun of the first weekend (local days 5, 6)
    for m in members_of(hack):
        m.blocks = [b for b in m.blocks if not (w.local_day(m, 5, 0) <= b[0] < w.local_day(m, 7, 0))]
        for di in (5, 6):
            s = r.uniform(9.5, 11.0)
            w.add_block(m, w.local_day(m, di, s), w.local_day(m, di, s + r.uniform(3, 4)), "hackathon")
            s2 = s + 4.5
            w.add_block(m, w.local_day(m, di, s2), w.local_day(m, di, s2 + r.uniform(3, 5)), "hackathon")
    w.confusers.append(f"hackathon weekend: tenant {hack.name} ({len(members_of(hack))} members) works local Sat-Sun "
                       f"{iso(T0 + 5 * DAY)[:10]}..{iso(T0 + 6 * DAY)[:10]}")
    # 2. whole tenant adopts the linear server on one day
    adopt.servers.discard("linear")
    for m in members_of(adopt):
        if "linear" in m.servers:
            m.set_tools({k: v for k, v in m.weights.items() if k[0] != "linear"})
    aday = r.randint(BASE_DAYS, w.days - 3)
    for m in members_of(adopt):
        wts = dict(m.weights)
        tot = sum(wts.values())
        for tool, spec in CATALOG["linear"].items():
            wts[("linear", tool)] = tot * 0.05 * spec[7] / 100.0
            m.rmult[("linear", tool)] = math.exp(r.gauss(0, 0.5))
        tools = list(wts)
        acc, cum = 0.0, []
        for k in tools:
            acc += wts[k]
            cum.append(acc)
        m.late_tools = (w.local_day(m, aday, 9.0), tools, cum)
    w.confusers.append(f"new server adoption: tenant {adopt.name} starts using linear on {iso(T0 + aday * DAY)[:10]} (all members)")
    # 3. release night: whole tenant works 20:00-00:30 local on one weekday
    rday = r.choice([d for d in range(BASE_DAYS, w.days) if d % 7 in (1, 2, 3)])
    for m in members_of(release):
        if m.habit != "night":
            s = r.uniform(19.5, 20.5)
            w.add_block(m, w.local_day(m, rday, s), w.local_day(m, rday, s + r.uniform(3.5, 5)), "release")
    w.confusers.append(f"release night: tenant {release.name} works ~20:00-01:00 local on {iso(T0 + rday * DAY)[:10]}")
    # 4. flaky upstream github for one hour, all tenants
    fday = r.choice([d for d in range(2, w.days) if d % 7 < 5])
    start = T0 + fday * DAY + int(r.uniform(12, 16) * HOUR)
    w.flaky = (start, start + HOUR)
    w.confusers.append(f"flaky upstream: github server errors ~70% of calls {iso(start)}..{iso(start + HOUR)}, agents retry")
    # 5. a developer's first day: new member joins mid-window, every tool is new
    t = r.choice([x for x in w.tenants if x not in (hack, adopt, release)])
    nm = w.add_member(t, w.used_ids)
    nm.habit, nm.base_start = "day", r.uniform(8.5, 10)
    nm.join_day = r.choice([d for d in range(BASE_DAYS, w.days - 1) if d % 7 < 5])
    nm.confuser = True
    w.confusers.append(f"first day: {nm.id} (tenant {t.name}) joins on local {iso(T0 + nm.join_day * DAY)[:10]}, all tools new")
    return {hack, release}


def late_confusers(w, st, exclude):
    """Confusers that need baseline stats; generated after normal traffic, not labelled."""
    r = w.rng
    pool = [m for m in w.members if not getattr(m, "confuser", False) and m.tenant not in exclude]
    # 6. clone and read an entire big repository once, during normal hours
    m, blk = next(((m, b) for m in r.sample(pool, len(pool)) for b in [pick_block(w, m, 95 * MIN)]
                   if b and ("filesystem", "read_file") in m.weights), (None, None))
    if m is None:
        return
    m.confuser = True
    repo = r.choice(["kubernetes", "linux", "react", "django", "rust-analyzer", "terraform-provider-aws"])
    t = blk[0] + int(r.uniform(0, blk[1] - blk[0] - 92 * MIN))
    end = t + int(r.uniform(40, 90) * MIN)
    t0 = t
    w.ev.append(w.call(m, t, blk[2], blk[3], "filesystem", "directory_tree", repo, res=f"file:///workspace/{repo}",
                       rbytes=int(r.uniform(0.5, 3) * 1e6)))
    n = 0
    while t < end:
        t += 50 + int(r.expovariate(1 / 2500))
        tool = r.choices(["read_file", "list_directory", "read_multiple_files", "search_files"], [70, 10, 12, 8])[0]
        path = f"pkg/{r.choice(WORDS)}/{r.choice(WORDS)}{n}.go"
        res = f"file:///workspace/{repo}/" + (path if tool == "read_file" else path.rsplit("/", 1)[0])
        w.ev.append(w.call(m, t, blk[2], blk[3], "filesystem", tool, repo, res=res))
        n += 1
    w.confusers.append(f"repo clone: {m.id} reads all of {repo} ({n} calls, new files) {iso(t0)}..{iso(t)}")
    # 7. agent retry storm on errors: 3x the member's call rate for 10 minutes, most calls fail
    m, blk = next(((m, b) for m in r.sample(pool, len(pool)) if not getattr(m, "confuser", False)
                   for b in [pick_block(w, m, 30 * MIN)] if b), (None, None))
    if m is None:
        return
    m.confuser = True
    per10 = st["calls"][m.idx] / max(1, len(st["tenmin"][m.idx]))
    n = max(15, int(3 * per10))
    t = blk[0] + int(r.uniform(5 * MIN, blk[1] - blk[0] - 15 * MIN))
    times = sorted(t + int(r.uniform(0, 10 * MIN)) for _ in range(n))
    picks = r.choices(m.tools, cum_weights=m.cum, k=max(3, n // 8))
    repo = m.repos[0]
    for i, ts in enumerate(times):
        srv, tool = picks[i % len(picks)]
        w.ev.append(w.call(m, ts, blk[2], blk[3], srv, tool, repo, status="tool_error" if r.random() < 0.65 else None))
    w.confusers.append(f"retry storm: {m.id} {n} calls (~3x usual, ~65% errors) {iso(times[0])}..{iso(times[-1])}")


def pick_block(w, m, need, kinds=("normal",)):
    r = w.rng
    lo = T0 + BASE_DAYS * DAY
    bl = [b for b in m.blocks if b[4] in kinds and b[0] >= lo and b[1] - b[0] >= need]
    return r.choice(bl) if bl else None


# ==================================================================== incidents (labelled)
def compute_stats(w):
    st = {"cnt": defaultdict(int), "rb": defaultdict(list), "days": defaultdict(set), "hours": defaultdict(set),
          "tenmin": defaultdict(set), "res": defaultdict(set), "calls": defaultdict(int)}
    cnt, rb, days, hours, tenmin, res, calls = (st[k] for k in ("cnt", "rb", "days", "hours", "tenmin", "res", "calls"))
    for e in w.ev:
        if e[1] != "T":
            continue
        mi = e[2]
        cnt[(mi, e[5], e[6])] += 1
        calls[mi] += 1
        if e[8] == "success":
            rb[(mi, e[5], e[6])].append(e[11])
        rel = e[0] - T0
        days[mi].add(rel // DAY)
        hours[mi].add(rel // HOUR)
        tenmin[mi].add(rel // (10 * MIN))
        if e[7]:
            res[mi].add(e[7])
    return st


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if s else 0


class Planter:
    def __init__(self, w, st, exclude_off):
        self.w, self.st, self.r = w, st, w.rng
        self.exclude_off = exclude_off
        self.remove = defaultdict(list)   # member -> [(srv, tool, t0, t1)] ordinary calls replaced by the incident

    def label(self, kind, m, tool, evs, note):
        self.w.ev.extend(evs)
        self.w.labels.append({"kind": kind, "actor": m.id, "tenant": m.tenant.name, "tool": tool,
                              "start": iso(min(e[0] for e in evs)), "end": iso(max(e[0] for e in evs)), "note": note})

    def daily(self, m, key):
        return self.st["cnt"][(m.idx,) + key] / max(1, len(self.st["days"][m.idx]))

    def hourly(self, m, key):
        return self.st["cnt"][(m.idx,) + key] / max(1, len(self.st["hours"][m.idx]))

    def spike(self, m):
        cands = [k for k in m.tools if self.daily(m, k) >= 8]
        blk = pick_block(self.w, m, 40 * MIN)
        if not cands or not blk:
            return False
        srv, tool = self.r.choice(cands)
        daily, mult, dur = self.daily(m, (srv, tool)), self.r.uniform(5, 15), self.r.uniform(10, 30) * MIN
        n = int(daily * mult)
        t0 = blk[0] + int(self.r.uniform(0, blk[1] - blk[0] - dur))
        res = self.w.resource(m, srv, tool, CATALOG[srv][tool][6], m.repos[0])
        keys = [f"{tool}|{res}|loop{i}" for i in range(self.r.randint(1, 3))]
        evs = [self.w.call(m, t0 + int(self.r.uniform(0, dur)), blk[2], blk[3], srv, tool, m.repos[0], 1, res=res,
                           akey=keys[i % len(keys)]) for i in range(n)]
        self.label("spike", m, tool, evs, f"agent loop on {srv}/{tool}: {n} calls in {dur / MIN:.0f} min "
                                          f"(~{mult:.1f}x daily volume {daily:.0f})")
        return True

    def exfiltration(self, m):
        reads = [k for k in m.tools if k[1] in ("query", "read_file", "get_file_contents", "execute_sql", "list_customers",
                                                "slack_get_channel_history", "read_query", "retrieve_page") and self.hourly(m, k) >= 4]
        dur = self.r.uniform(20, 60) * MIN
        blk = pick_block(self.w, m, dur + 10 * MIN)
        if not reads or not blk:
            return False
        srv, tool = self.r.choice(reads)
        med = median(self.st["rb"][(m.idx, srv, tool)])
        rate = self.hourly(m, (srv, tool))
        n = max(4, round(rate * dur / HOUR * self.r.uniform(0.8, 1.2)))
        t0 = blk[0] + int(self.r.uniform(0, blk[1] - blk[0] - dur))
        res = None
        if tool in ("query", "execute_sql"):
            tbl = self.r.choice(["public.customers", "public.users", "public.payments", "public.accounts"])
            res = (f"postgres://{m.tenant.dbhost}/app/{tbl}" if srv == "postgres" else f"supabase://{m.tenant.project}/{tbl}")
        mult = self.r.uniform(50, 200)
        evs = []
        for _ in range(n):
            evs.append(self.w.call(m, t0 + int(self.r.uniform(0, dur)), blk[2], blk[3], srv, tool, m.repos[0], 1,
                                   res=res, status="success", rbytes=int(med * mult * self.r.uniform(0.8, 1.25))))
        self.remove[m.idx].append((srv, tool, t0, t0 + dur))
        self.label("exfiltration", m, tool, evs, f"{srv}/{tool} at usual pace ({n} calls) returns ~{mult:.0f}x usual "
                                                 f"result size (median {med} B) for {dur / MIN:.0f} min")
        return True

    def breadth(self, m):
        opts = [k for k in m.tools if k[1] in ("read_file", "get_file_contents", "query", "describe_table") and self.hourly(m, k) >= 10]
        dur = self.r.uniform(30, 90) * MIN
        blk = pick_block(self.w, m, dur + 10 * MIN)
        if not opts or not blk:
            return False
        srv, tool = self.r.choices(opts, [self.hourly(m, k) ** 2 for k in opts])[0]
        n = min(400, max(20, round(self.hourly(m, (srv, tool)) * dur / HOUR * self.r.uniform(0.8, 1.2))))
        seen, t, evs = self.st["res"][m.idx], m.tenant, []
        others = [x for x in t.repos if x not in m.repos]      # other teams' repositories, then unknown ones
        others += [f"{a}-{b}" for a in ("payments", "infra", "ml", "mobile") for b in ("core", "api")]
        schemas = ["billing", "hr", "analytics", "auth", "finance", "audit"]
        t0 = blk[0] + int(self.r.uniform(0, blk[1] - blk[0] - dur))
        times = sorted(t0 + int(self.r.uniform(0, dur)) for _ in range(n))
        made = set()
        for ts in times:
            for _ in range(20):
                if srv == "postgres":
                    res = f"postgres://{t.dbhost}/app/{self.r.choice(schemas)}.{self.r.choice(TABLES)}_{self.r.choice(WORDS)}"
                else:
                    repo = others[len(made) // 25 % len(others)]
                    path = self.w.new_path(m, repo)
                    res = (f"file:///workspace/{repo}/{path}" if srv == "filesystem" else f"github://{t.org}/{repo}/{path}")
                if res not in seen and res not in made:
                    break
            made.add(res)
            evs.append(self.w.call(m, ts, blk[2], blk[3], srv, tool, m.repos[0], 1, res=res))
        self.remove[m.idx].append((srv, tool, t0, t0 + dur))
        self.label("breadth", m, tool, evs, f"{srv}/{tool} at usual pace on {len(made)} never-touched resources "
                                            f"(other teams' repos/schemas) for {dur / MIN:.0f} min")
        return True

    def read_then_send(self, m, send_kind, read_kind):
        """read_kind: a sensitive read the member already has (strict), or None = the member's own file read."""
        blk = pick_block(self.w, m, 40 * MIN)
        t, r = m.tenant, self.r
        reads = {"postgres": ("postgres", "query", f"postgres://{t.dbhost}/app/public.customers"),
                 "supabase": ("supabase", "execute_sql", f"supabase://{t.project}/public.users"),
                 "stripe": ("stripe", "list_customers", f"stripe://{t.acct}/customers"),
                 None: ("filesystem", "read_file", f"file:///workspace/{m.repos[0]}/exports/customers_full.csv")}
        srv, tool, res = reads[read_kind]
        if not blk or (srv, tool) not in m.weights:
            return False
        size = int(math.exp(r.uniform(math.log(1e6), math.log(20e6))))
        t0 = blk[0] + int(r.uniform(0, blk[1] - blk[0] - 25 * MIN))
        evs = [self.w.call(m, t0, blk[2], blk[3], srv, tool, m.repos[0], 1, res=res, status="success", rbytes=size)]
        delay = r.uniform(2, 20) * MIN
        host = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
        s_srv, s_tool, s_res = {
            "fetch": ("fetch", "fetch", f"https://{host}.ngrok-free.app/upload"),
            "puppeteer": ("puppeteer", "puppeteer_navigate", f"https://{host}.requestcatcher.com/collect"),
            "slack": ("slack", "slack_post_message", f"slack://{t.name}/ext-{host[:5]}-shared"),
            "github": ("github", "create_issue", f"github://{host[:7]}-oss/{r.choice(WORDS)}-public")}[send_kind]
        abytes = int(size * r.uniform(0.9, 1.35))
        evs.append(self.w.call(m, t0 + int(delay), blk[2], blk[3], s_srv, s_tool, m.repos[0], 1, res=s_res,
                               status="success", abytes=abytes))
        self.label("read_then_send", m, s_tool, evs, f"read {srv}/{tool} {size / 1e6:.1f} MB then {s_srv}/{s_tool} "
                                                     f"args {abytes / 1e6:.1f} MB after {delay / MIN:.0f} min")
        return True

    def probing(self, m):
        blk = pick_block(self.w, m, 20 * MIN)
        foreign = [(s, tl) for s in CATALOG if s not in m.servers for tl in CATALOG[s]]
        if not blk or len(foreign) < 6:
            return False
        r = self.r
        picks = r.sample(foreign, r.randint(3, min(8, len(foreign))))
        n, dur = r.randint(30, 60), r.uniform(3, 8) * MIN
        t0 = blk[0] + int(r.uniform(0, blk[1] - blk[0] - dur))
        evs = [self.w.call(m, t0 + int(r.uniform(0, dur)), blk[2], blk[3], *r.choice(picks), m.repos[0], 1, status="denied")
               for _ in range(n)]
        self.label("probing", m, None, evs, f"{n} denied calls in {dur / MIN:.1f} min on unused tools: "
                                            + ",".join(f"{s}/{tl}" for s, tl in picks))
        return True

    def first_seen(self, m, danger):
        srv, tool = danger
        blk = pick_block(self.w, m, 20 * MIN)
        if srv in m.servers or not blk:
            return False
        r, t = self.r, m.tenant
        res = {"create_refund": f"stripe://{t.acct}/refunds", "deploy_worker": f"cloudflare://{t.name}/workers/{r.choice(t.workers)}",
               "get_secret": f"cloudflare://{t.name}/secrets/{r.choice(['STRIPE_KEY', 'DATABASE_URL', 'AWS_SECRET_ACCESS_KEY'])}",
               "execute_sql": f"supabase://{t.project}-prod/public.{r.choice(['users', 'orders', 'payments'])}"}[tool]
        n = r.randint(1, 3)
        t0 = blk[0] + int(r.uniform(0, blk[1] - blk[0] - 10 * MIN))
        evs = [self.w.call(m, t0 + i * int(r.uniform(3000, 90000)), blk[2], blk[3], srv, tool, m.repos[0], 1, res=res,
                           status="success") for i in range(n)]
        self.label("first_seen", m, tool, evs, f"first ever use of {srv}/{tool} ({n} calls), no prior use of {srv}")
        return True

    def off_hours(self, m):
        if m.tenant in self.exclude_off or m.weekend:
            return False
        r, w = self.r, self.w
        days = [d for d in range(BASE_DAYS, w.days) if d % 7 < 5]
        di = r.choice(days)
        hour = (11.0 if m.habit == "night" else 3.0) + r.uniform(-0.4, 0.4)
        s = w.local_day(m, di, hour)
        e = s + int(r.uniform(30, 60) * MIN)
        if any(b[0] < e + 2 * HOUR and b[1] > s - 2 * HOUR for b in m.blocks) or s < T0 or e > w.end:
            return False
        agent, sess, evs = m.agents[0], "s-%012x" % r.getrandbits(48), []
        t = w.open_session(m, s, agent, sess, evs, 1) + int(r.uniform(0.3, 2) * MIN)
        while t < e:
            t = w.burst(m, t, w.burst_size(m), agent, sess, evs, 1, end=e)
            t += int(r.uniform(8, 20) * MIN)
        if sum(1 for x in evs if x[1] == "T") < 15:
            return False
        self.label("off_hours", m, None, evs, f"{m.habit}-habit developer active at local {hour:04.1f}h "
                                              f"(tz {m.tz:+d} min) for {(e - s) / MIN:.0f} min")
        return True


def plant_incidents(w, st, exclude_off):
    p, r = Planter(w, st, exclude_off), w.rng
    eligible = [m for m in w.members if not getattr(m, "confuser", False) and len(st["days"][m.idx]) >= 5]
    pool = r.sample(eligible, len(eligible))
    sends = r.sample(["fetch", "puppeteer", "slack", "github"], 4)
    reads = r.sample(["postgres", "supabase", "stripe", None], 4)
    dangers = r.sample([("stripe", "create_refund"), ("cloudflare", "deploy_worker"), ("cloudflare", "get_secret"),
                        ("supabase", "execute_sql")], 4)
    jobs = [("spike", lambda m, i: p.spike(m)), ("exfiltration", lambda m, i: p.exfiltration(m)),
            ("breadth", lambda m, i: p.breadth(m)), ("read_then_send", lambda m, i: p.read_then_send(m, sends[i], reads[i])),
            ("probing", lambda m, i: p.probing(m)), ("first_seen", lambda m, i: p.first_seen(m, dangers[i])),
            ("off_hours", lambda m, i: p.off_hours(m))]
    def place(fn, i):
        for m in pool + r.sample(eligible, len(eligible)):   # fresh members first, then reuse
            if fn(m, i):
                if m in pool:
                    pool.remove(m)
                return True
        return False

    for kind, fn in jobs:
        for i in range(4):
            if place(fn, i):
                continue
            if kind == "read_then_send" and reads[i] is not None:
                reads[i] = None                    # nobody has that sensitive read: fall back to a file read
                if place(fn, i):
                    continue
            print(f"warning: could not plant {kind} #{i}", file=sys.stderr)
    if p.remove:
        rem = p.remove
        w.ev = [e for e in w.ev if e[14] or e[2] not in rem
                or not any(e[5] == s and e[6] == tl and a <= e[0] <= b for s, tl, a, b in rem[e[2]])]


# ==================================================================== output
KIND_NAMES = {"T": "tool_call", "L": "list", "S": "session"}
INSTANCES = ["hangar-7d9f", "hangar-3b1c", "hangar-a04e"]


def serialize(e, members, rid):
    m = members[e[2]]
    d = {"schema": "mcp.audit/1", "event_id": str(uuid.UUID(int=rid.getrandbits(128), version=4)),
         "event_kind": KIND_NAMES[e[1]], "phase": "final", "occurred_at": iso(e[0]), "duration_ms": e[12],
         "source": {"gateway": "mcp-hangar", "version": "2.34.4", "instance_id": INSTANCES[int(e[4][-2:], 16) % 3]},
         "tenant_id": m.tenant.name, "actor": {"id": m.id, "type": "user", "agent_id": e[3], "roles": m.roles},
         "session": {"id": e[4]}}
    if e[1] == "T":
        tgt = {"server_id": e[5], "method": "tools/call", "tool": e[6]}
        if e[7]:
            tgt["resource_uri"] = e[7]
        d["target"] = tgt
        d["request"] = {"args_sha256": hashlib.sha256(e[13].encode()).hexdigest(),
                        "arg_keys": CATALOG[e[5]][e[6]][1], "args_bytes": e[10]}
    elif e[1] == "L":
        d["target"] = {"server_id": e[5], "method": "tools/list"}
    else:
        d["target"] = {"method": "initialize"}
    out = {"status": e[8]}
    if e[8] == "denied":
        d["policy"] = {"decision": "deny", "rule_id": e[9]}
        out["http_status"] = 403
    else:
        out["result_bytes"] = e[11]
        if e[9]:
            out["error_type"] = e[9]
    d["outcome"] = out
    return json.dumps(d, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    t_start = time.time()
    w = World(a.seed, a.scale)
    for m in w.members:
        w.schedule(m)
    exclude_off = plan_confusers(w)
    nm = w.members[-1]
    w.schedule(nm)
    w.normalise_rates()
    for m in w.members:
        m.blocks.sort()
        w.gen_blocks(m)
    st = compute_stats(w)
    late_confusers(w, st, exclude_off)
    plant_incidents(w, st, exclude_off)
    w.ev = [e for e in w.ev if T0 <= e[0] < w.end]
    w.ev.sort(key=lambda e: e[0])
    os.makedirs(a.out, exist_ok=True)
    rid = random.Random(a.seed * 7919 + 17)
    with open(os.path.join(a.out, "events.jsonl"), "w") as f:
        buf = []
        for e in w.ev:
            buf.append(serialize(e, w.members, rid))
            if len(buf) >= 20000:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    w.labels.sort(key=lambda x: x["start"])
    with open(os.path.join(a.out, "labels.jsonl"), "w") as f:
        for lb in w.labels:
            f.write(json.dumps(lb) + "\n")
    n_inc = sum(1 for e in w.ev if e[14])
    summary = {"model": "startup", "seed": a.seed, "events": len(w.ev), "incident_events": n_inc,
               "members": len(w.members), "tenants": len(w.tenants), "days": w.days, "confusers": w.confusers}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    calls = [e for e in w.ev if e[1] == "T"]
    by = defaultdict(int)
    for e in calls:
        by[e[8]] += 1
    print(f"startup seed={a.seed} scale={a.scale}: {len(w.ev)} events ({len(calls)} tool calls), "
          f"{len(w.labels)} labels, {n_inc} incident events, {len(w.members)} members, {len(w.tenants)} tenants, "
          f"{w.days} days, status " + ", ".join(f"{k} {v / len(calls):.2%}" for k, v in sorted(by.items()))
          + f", {time.time() - t_start:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
