#!/usr/bin/env python3
"""office.py - an independent traffic model ("office") for evaluating Countersign.

Writes mcp.audit/1 tool_call events for a large enterprise of office workers,
plus labels for planted incidents and a summary:

    python3 office.py --seed N --out DIR [--scale 1.0]
    -> DIR/events.jsonl  DIR/labels.jsonl  DIR/summary.json

Assumptions of the model (standard library only, deterministic given --seed):
- 3-4 tenants (companies), each with a home region; about 650 * scale members,
  most in the tenant's home time zone, the rest spread over others, including
  +05:30, +05:45, +09:30, -03:30 and +03:30. Fixed offsets: no daylight saving.
- 10 local days starting Monday 2026-08-17 (8 working days). A member's day d
  is the local calendar day, so UTC coverage starts a few hours earlier/later.
- Members belong to teams (engineering, data, finance, sales, support,
  platform, hr); each team has a pool of tools, each member keeps 3-8 habitual
  tools with Zipf-like preferences (weight 1/rank^s). Tool names are dotted
  (`pg.run_query`); `target.server_id` is the namespace before the dot.
- Working days Mon-Fri, start 07:00-10:00 local (per member, jittered daily),
  7-10 hour days, lunch dip to ~30% intensity; ~10% of members work some
  Saturdays (short days); nobody works Sundays. Vacations (2-5 days), sick days
  (2%), one public holiday per tenant (3% of its members still work), some
  members joining on day 3+. Daily volume per member: light (3-15 calls),
  ordinary (lognormal, median ~150) or heavy (200-1000).
- Calls happen in agent sessions of 5-60 minutes placed by the day's intensity.
- Every call carries a resource in `target.resource_uri` (SCHEMA.md defines it).
  Members reuse a personal working set per tool (Zipf-like choice), part shared
  with their team, drifting slowly (~1% of calls add a new resource).
- Sizes: lognormal around a per-member-per-tool median: reads return KBs,
  writes have larger args and tiny results, sends carry message-sized args.
- Noise: per member 0.5-3% tool errors (status `tool_error`, some `timeout`)
  and 0.5% policy denials (status `denied`, policy.decision `deny`), plus a
  rare (0.3%) use of a non-habitual, non-admin tool from the team's pool.
- Incidents (4 per kind, 28) and benign confusers are described where planted.
"""
import argparse
import calendar
import hashlib
import json
import math
import os
import random
import sys
import time
import uuid

DAY_MS = 86_400_000
MIN_MS = 60_000
EPOCH0_MS = calendar.timegm((2026, 8, 17, 0, 0, 0)) * 1000  # a Monday
DAYS = 10
WORKDAYS = [d for d in range(DAYS) if d % 7 < 5]
WEEKDAY_FACTOR = [1.0, 1.05, 1.05, 1.0, 0.85, 0.5, 0.0]

# name: (kind, arg_keys, args_median_bytes, result_median_bytes, duration_median_ms)
TOOLS = {
    "pg.run_query": ("read", ["database", "query"], 180, 9000, 120),
    "pg.list_tables": ("read", ["database", "schema"], 60, 1500, 40),
    "fs.read_file": ("read", ["path"], 70, 12000, 15),
    "fs.write_file": ("write", ["path", "content"], 6000, 60, 25),
    "fs.list_directory": ("read", ["path"], 60, 2500, 10),
    "s3.get_object": ("read", ["bucket", "key"], 90, 45000, 180),
    "s3.put_object": ("write", ["bucket", "key", "body"], 30000, 120, 250),
    "s3.list_objects": ("read", ["bucket", "prefix"], 80, 6000, 90),
    "drive.export_document": ("read", ["file_id", "mime_type"], 90, 60000, 900),
    "drive.search_files": ("read", ["query"], 80, 4000, 300),
    "slack.post_message": ("send", ["channel", "text"], 450, 180, 220),
    "slack.read_channel": ("read", ["channel", "limit"], 70, 15000, 250),
    "mail.send": ("send", ["to", "subject", "body"], 2500, 150, 600),
    "mail.search": ("read", ["query", "folder"], 90, 9000, 400),
    "http.get": ("read", ["url", "headers"], 150, 30000, 350),
    "http.post": ("send", ["url", "headers", "body"], 1500, 800, 400),
    "jira.create_issue": ("write", ["project", "summary", "description"], 900, 350, 450),
    "jira.search": ("read", ["jql", "max_results"], 120, 14000, 380),
    "jira.get_issue": ("read", ["issue_key"], 40, 6000, 200),
    "github.create_pull_request": ("write", ["repo", "title", "body", "head", "base"], 1400, 900, 800),
    "github.get_file": ("read", ["repo", "path", "ref"], 90, 8000, 260),
    "github.search_code": ("read", ["query", "repo"], 80, 11000, 500),
    "k8s.get_pods": ("read", ["namespace", "selector"], 70, 7000, 150),
    "k8s.get_logs": ("read", ["namespace", "pod", "tail"], 80, 25000, 300),
    "k8s.exec": ("admin", ["namespace", "pod", "command"], 120, 1500, 1500),
    "iam.list_users": ("read", ["path_prefix"], 40, 5000, 250),
    "iam.create_access_key": ("admin", ["user_name"], 40, 300, 350),
    "iam.attach_policy": ("admin", ["role_name", "policy_arn"], 110, 120, 300),
    "confluence.search_pages": ("read", ["query", "space"], 90, 7000, 300),  # rolled out mid-period
}
ADMIN = {"iam.create_access_key", "iam.attach_policy", "k8s.exec"}
SERVER = {t: t.split(".", 1)[0] for t in TOOLS}

TEAMS = {  # team: (share of members, {tool: preference weight})
    "engineering": (0.28, {"github.get_file": 5, "github.search_code": 3, "github.create_pull_request": 3,
                           "fs.read_file": 5, "fs.write_file": 4, "fs.list_directory": 3, "jira.search": 3,
                           "jira.get_issue": 3, "jira.create_issue": 1, "slack.read_channel": 2,
                           "slack.post_message": 2, "k8s.get_pods": 2, "k8s.get_logs": 2, "http.get": 2,
                           "pg.run_query": 2}),
    "data": (0.14, {"pg.run_query": 6, "pg.list_tables": 3, "s3.get_object": 4, "s3.put_object": 2,
                    "s3.list_objects": 3, "fs.read_file": 3, "fs.write_file": 2, "drive.export_document": 1,
                    "slack.read_channel": 1, "slack.post_message": 1, "jira.search": 1, "http.get": 1}),
    "finance": (0.10, {"drive.export_document": 5, "drive.search_files": 3, "pg.run_query": 3, "mail.search": 3,
                       "mail.send": 3, "fs.read_file": 2, "s3.get_object": 2, "slack.post_message": 1,
                       "slack.read_channel": 1}),
    "sales": (0.18, {"mail.search": 5, "mail.send": 4, "drive.search_files": 3, "drive.export_document": 2,
                     "slack.post_message": 3, "slack.read_channel": 3, "http.get": 2, "http.post": 1,
                     "jira.search": 1}),
    "support": (0.14, {"jira.search": 5, "jira.get_issue": 5, "jira.create_issue": 3, "mail.search": 3,
                       "mail.send": 3, "slack.read_channel": 2, "slack.post_message": 2, "http.get": 1,
                       "fs.read_file": 1}),
    "platform": (0.08, {"k8s.get_pods": 5, "k8s.get_logs": 4, "k8s.exec": 3, "iam.list_users": 2,
                        "iam.attach_policy": 1, "iam.create_access_key": 1, "github.get_file": 2,
                        "github.create_pull_request": 2, "s3.list_objects": 2, "http.get": 2,
                        "slack.post_message": 1}),
    "hr": (0.08, {"mail.search": 4, "mail.send": 4, "drive.export_document": 3, "drive.search_files": 3,
                  "fs.read_file": 2, "slack.post_message": 2, "slack.read_channel": 2}),
}

# tenant, gateway, home offset (minutes), [(offset, weight)] for where its members live
TENANTS = [
    ("northwind", "mcp-hangar", -300, [(-300, 50), (-360, 12), (-480, 10), (-210, 5), (-180, 4), (0, 5),
                                       (330, 8), (60, 6)]),
    ("globex", "agentgateway", 60, [(60, 50), (0, 12), (120, 10), (210, 5), (330, 10), (345, 3), (-300, 6),
                                    (180, 4)]),
    ("initech", "mcp-hangar", 330, [(330, 55), (345, 8), (480, 8), (240, 6), (60, 8), (570, 5), (210, 4),
                                    (0, 6)]),
    ("umbrella", "agentgateway", 600, [(600, 45), (570, 15), (480, 12), (540, 8), (720, 6), (330, 8),
                                       (345, 3), (-210, 3)]),
]
FIRST = ("james mary robert patricia john jennifer michael linda david elizabeth william barbara richard susan "
         "joseph jessica thomas sarah priya rahul ananya arjun wei mei hiroshi yuki olga ivan fatima omar "
         "lucas sofia mateo camila noah emma liam olivia kofi amara sven ingrid pierre chloe reza shirin "
         "bikash sita liam jack grace ruby tane aroha carlos lucia").split()
LAST = ("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez wilson "
        "anderson thomas taylor moore jackson martin lee patel sharma gupta singh chen wang tanaka sato "
        "ivanov petrova khan ali silva santos muller schmidt dubois martin rossi bianchi nguyen tran kim "
        "park mensah okafor hansen larsen ahmadi karimi shrestha thapa obrien walsh murphy").split()
WORDS = ("orders customers invoices payments events sessions accounts ledger shipments products employees "
         "payroll tickets leads contracts budget forecast roadmap release incidents onboarding pricing "
         "vendors audit metrics campaigns").split()
RES_TEMPLATE = {
    "pg": "postgres://{t}-{team}-db/{scope}.{w}_{i}",
    "fs": "file:///srv/{t}/{scope}/{w}-{i}.md",
    "s3": "s3://{t}-{team}-data/{scope}/{w}/part-{i:05d}.parquet",
    "drive": "gdrive://{t}/{scope}/{w}-{i}",
    "slack": "slack://{t}/#{team}-{w}-{i}",
    "mail": "mailbox://{t}/{scope}/{w}-{i}",
    "http": "https://api.{w}.example.net/v1/{scope}/{i}",
    "jira": "jira://{t}/{team}/{w}-{i}",
    "github": "github://{t}/{team}-{w}-{i}",
    "k8s": "k8s://{t}-prod/{team}-{w}-{i}",
    "iam": "iam://{t}/{w}-{i}",
    "confluence": "confluence://{t}/{team}/{w}-{i}",
}
ERROR_TYPES = {"pg": ["QueryError", "Timeout"], "fs": ["NotFound", "PermissionError"], "s3": ["NoSuchKey", "SlowDown"],
               "drive": ["NotFound", "ExportFailed"], "slack": ["ChannelNotFound", "RateLimited"],
               "mail": ["InvalidRecipient", "Timeout"], "http": ["HTTP5xx", "ConnectTimeout"],
               "jira": ["NotFound", "ValidationError"], "github": ["NotFound", "Conflict"],
               "k8s": ["PodNotFound", "Forbidden"], "iam": ["LimitExceeded", "NoSuchEntity"],
               "confluence": ["NotFound", "Timeout"]}
AGENTS = ["claude-desktop", "cursor", "copilot-agent", "internal-assistant", "goose"]
DUMPS = json.JSONEncoder(separators=(",", ":")).encode


class Member:
    __slots__ = ("i", "id", "short", "tenant", "team", "tz", "gw", "inst", "rate", "cps", "start", "length",
                 "tools", "cw", "agents", "err", "sat", "first_day", "state", "plans", "rollout_day")


class World:
    def __init__(self, seed, scale):
        self.seed, self.rng = seed, random.Random(seed)
        self.n_members = max(40, round(650 * scale))
        self.out = []           # (epoch_ms, json line)
        self.labels, self.confusers = [], []
        self.incident_events = 0
        self.outage = None      # (server, start_ms, end_ms)
        self.day_str = {}

    # ---------- helpers ----------
    def iso(self, ms):
        d, r = divmod(ms, DAY_MS)
        ds = self.day_str.get(d)
        if ds is None:
            ds = self.day_str[d] = time.strftime("%Y-%m-%d", time.gmtime(d * 86400))
        h, r = divmod(r, 3_600_000)
        mi, r = divmod(r, MIN_MS)
        s, ms3 = divmod(r, 1000)
        return f"{ds}T{h:02d}:{mi:02d}:{s:02d}.{ms3:03d}Z"

    def day_base(self, m, d):  # epoch ms of local midnight of day d for member m
        return EPOCH0_MS + d * DAY_MS - m.tz * MIN_MS

    def sid(self):
        return f"s-{self.rng.getrandbits(64):016x}"

    def res_uri(self, m, tool, i, scope=None):
        srv = SERVER[tool]
        if tool == "mail.send":
            if m.team == "sales" and i % 3 == 0:
                return f"mailto:contact{i}@customer{i % 40}.example.com"
            return f"mailto:colleague{i}@{m.tenant}.example"
        if scope is None:
            scope = m.team if i < 1000 else "home-" + m.short
        return RES_TEMPLATE[srv].format(t=m.tenant, team=m.team, scope=scope, w=WORDS[i % len(WORDS)], i=i)

    def tool_state(self, m, tool):
        st = m.state.get(tool)
        if st is None:
            rng, (kind, _, a_med, r_med, d_med) = self.rng, TOOLS[tool]
            st = {"res": [], "next": 1000, "r_med": r_med * rng.lognormvariate(0, 0.7),
                  "a_med": a_med * rng.lognormvariate(0, 0.4), "d_med": d_med * rng.lognormvariate(0, 0.4),
                  "variants": rng.randint(1, 6) if kind == "read" else 0}
            for _ in range(rng.randint(4, 30)):
                st["res"].append(self.new_res(m, tool, st))
            m.state[tool] = st
        return st

    def new_res(self, m, tool, st):
        if self.rng.random() < 0.6:  # team-shared resource, popular ones more likely
            return self.res_uri(m, tool, int(300 * self.rng.random() ** 2.5))
        st["next"] += 1
        return self.res_uri(m, tool, st["next"])

    def pick_res(self, m, tool, st):
        res, rng = st["res"], self.rng
        if rng.random() < 0.01:  # slow drift of the working set
            uri = self.new_res(m, tool, st)
            res.insert(int(len(res) * rng.random() * 0.5), uri)
            return uri
        return res[int(len(res) * rng.random() ** 2.2)]

    # ---------- one event ----------
    def call(self, m, tool, ts, sid, agent, uri=None, rb=None, ab=None, status=None, policy=None,
             noise=True, incident=False):
        rng, st = self.rng, self.tool_state(m, tool)
        srv = SERVER[tool]
        kind, keys = TOOLS[tool][0], TOOLS[tool][1]
        if uri is None:
            uri = self.pick_res(m, tool, st)
        variant = rng.randrange(st["variants"]) if st["variants"] else rng.getrandbits(32)
        ah = hashlib.sha256(f"{m.id}|{tool}|{uri}|{variant}".encode()).hexdigest()
        if ab is None:
            ab = max(8, int(st["a_med"] * rng.lognormvariate(0, 0.5)))
        if rb is None:
            rb = max(2, int(st["r_med"] * rng.lognormvariate(0, 0.9 if kind == "read" else 0.4)))
        dur = st["d_med"] * rng.lognormvariate(0, 0.6) + rb / 20_000
        err = None
        if status is None:
            status = "success"
            if self.outage and srv == self.outage[0] and self.outage[1] <= ts < self.outage[2] \
                    and rng.random() < 0.8:
                status, err, dur = ("timeout", "UpstreamTimeout", 30000.0) if rng.random() < 0.3 \
                    else ("tool_error", "UpstreamUnavailable", dur)
            elif noise:
                u = rng.random()
                if u < m.err:
                    status = "timeout" if u < m.err * 0.1 else "tool_error"
                    err = "Timeout" if status == "timeout" else rng.choice(ERROR_TYPES[srv])
                elif u < m.err + 0.005:
                    status = "denied"
                    policy = {"decision": "deny", "policy_id": f"{m.tenant}-default",
                              "rule_id": rng.choice(["restricted-resource", "data-classification",
                                                     "write-protect", "scope-not-granted"])}
        outcome = {"status": status}
        if status == "success":
            outcome["result_bytes"] = rb
        elif status == "denied":
            outcome["http_status"] = 403
            dur = rng.uniform(1, 8)
        else:
            outcome["result_bytes"] = rng.randint(80, 400)
            outcome["error_type"] = err or rng.choice(ERROR_TYPES[srv])
            if err and err.startswith("Upstream"):
                outcome["http_status"] = 503 if status == "tool_error" else 504
        ev = {"schema": "mcp.audit/1", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
              "event_kind": "tool_call", "phase": "final", "occurred_at": self.iso(ts),
              "duration_ms": round(dur, 1), "source": {"gateway": m.gw, "instance_id": m.inst},
              "tenant_id": m.tenant, "actor": {"id": m.id, "type": "user", "agent_id": agent},
              "session": {"id": sid},
              "target": {"server_id": srv, "method": "tools/call", "tool": tool, "resource_uri": uri},
              "request": {"args_sha256": ah, "arg_keys": keys, "args_bytes": ab}, "outcome": outcome}
        if policy:
            ev["policy"] = policy
        self.out.append((ts, DUMPS(ev)))
        if incident:
            self.incident_events += 1
        return ts

    # ---------- population ----------
    def build(self):
        rng = self.rng
        tenants = TENANTS[:rng.choice([3, 4])]
        shares = [rng.uniform(0.6, 1.4) for _ in tenants]
        self.tenants = [t[0] for t in tenants]
        self.holiday = {}
        for t in self.tenants:
            free = [d for d in WORKDAYS[1:] if d not in self.holiday.values()] or WORKDAYS[1:]
            self.holiday[t] = rng.choice(free)
        team_names, team_w = list(TEAMS), [v[0] for v in TEAMS.values()]
        self.members, used = [], set()
        for i in range(self.n_members):
            m = Member()
            tname, gw, _, tzs = rng.choices(tenants, weights=shares)[0]
            m.i, m.tenant, m.gw = i, tname, gw
            m.inst = f"{'hangar' if gw == 'mcp-hangar' else 'agw'}-{tname[:3]}-{rng.randint(1, 2)}"
            m.tz = rng.choices([o for o, _ in tzs], weights=[w for _, w in tzs])[0]
            m.team = rng.choices(team_names, weights=team_w)[0]
            while True:
                name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
                name += "" if (name, tname) not in used else str(rng.randint(2, 99))
                if (name, tname) not in used:
                    break
            used.add((name, tname))
            m.id, m.short = f"{name}@{tname}.example", name.replace(".", "-")
            u = rng.random()
            m.rate = rng.uniform(3, 15) if u < 0.15 else \
                math.exp(rng.uniform(math.log(200), math.log(1000))) if u > 0.85 else \
                rng.lognormvariate(math.log(150), 0.6)
            m.cps = min(120.0, max(1.5, m.rate / rng.uniform(6, 16)))  # calls per session
            m.start, m.length = rng.uniform(420, 600), rng.uniform(420, 600)
            pool = dict(TEAMS[m.team][1])
            tools = []
            if m.team == "finance":  # finance always exports documents
                tools.append("drive.export_document")
                pool.pop("drive.export_document")
            while len(tools) < min(rng.randint(3, 8), len(TEAMS[m.team][1])):
                t = rng.choices(list(pool), weights=list(pool.values()))[0]
                tools.append(t)
                pool.pop(t)
            if m.team == "finance":
                rng.shuffle(tools)
            s = rng.uniform(0.8, 1.6)
            m.tools = tools
            m.cw = self.cum([1 / (r + 1) ** s for r in range(len(tools))])
            m.agents = rng.sample(AGENTS, rng.choice([1, 1, 2]))
            m.err = rng.uniform(0.005, 0.03)
            m.sat = rng.random() < 0.10
            m.first_day = rng.choice(WORKDAYS[2:6]) if rng.random() < 0.02 else 0
            m.state, m.rollout_day = {}, None
            self.members.append(m)

    @staticmethod
    def cum(ws):
        out, acc = [], 0.0
        for w in ws:
            acc += w
            out.append(acc)
        return out

    def plan(self):
        """Per member and local day: a list of blocks [start_min, end_min, lunch_min|None, factor]."""
        rng = self.rng
        for m in self.members:
            m.plans = [None] * DAYS
            vac = set()
            if rng.random() < 0.06:
                k = rng.randrange(len(WORKDAYS))
                vac = set(WORKDAYS[k:k + rng.randint(2, 5)])
            for d in range(m.first_day, DAYS):
                wd = d % 7
                if wd == 6:
                    continue
                if wd == 5:
                    if m.sat and rng.random() < 0.6:
                        s = rng.uniform(540, 660)
                        m.plans[d] = [[s, s + rng.uniform(150, 300), None, 0.5]]
                    continue
                hol = d == self.holiday[m.tenant]
                if d in vac or (hol and rng.random() > 0.03) or rng.random() < 0.02:
                    continue
                s = min(630, max(400, m.start + rng.gauss(0, 20)))
                e = s + max(360, m.length + rng.gauss(0, 30))
                m.plans[d] = [[s, e, s + rng.uniform(200, 300), WEEKDAY_FACTOR[wd] * (0.4 if hol else 1)]]

    # ---------- benign confusers ----------
    def plant_confusers(self):
        rng, ms = self.rng, self.members
        teams = {}
        for m in ms:
            teams.setdefault((m.tenant, m.team), []).append(m)
        big = sorted(k for k, v in teams.items() if len(v) >= 5) or sorted(teams)
        day = lambda d: time.strftime("%Y-%m-%d", time.gmtime((EPOCH0_MS + d * DAY_MS) // 1000))
        # 1. team-wide busy day: 2x rate for a whole team
        (t, team) = rng.choice(big)
        d = rng.choice([x for x in WORKDAYS[2:] if x != self.holiday[t]])
        for m in teams[(t, team)]:
            for b in m.plans[d] or []:
                b[3] *= 2
        self.confusers.append(f"busy_day: team {t}/{team} ({len(teams[(t, team)])} members) at 2x rate "
                              f"on local day {day(d)}")
        # 2. upstream outage of one server for everyone, 30 minutes
        srv = rng.choice(["jira", "slack", "s3", "drive"])
        d = rng.choice(WORKDAYS[1:])
        s = EPOCH0_MS + d * DAY_MS + rng.randint(13 * 60, 15 * 60) * MIN_MS
        self.outage = (srv, s, s + 30 * MIN_MS)
        self.confusers.append(f"upstream_errors: server {srv} fails ~80% of calls for all members "
                              f"{self.iso(s)}..{self.iso(s + 30 * MIN_MS)}")
        # 3. new tool rolled out to a whole team on one day
        busy = (t, team)
        (t, team) = rng.choice([k for k in big if k[1] in ("engineering", "support", "sales") and k != busy]
                               or [k for k in big if k != busy] or big)
        d = rng.choice([x for x in WORKDAYS[3:] if x != self.holiday[t]])
        for m in teams[(t, team)]:
            m.rollout_day = d
        self.confusers.append(f"tool_rollout: confluence.search_pages first used by all of {t}/{team} "
                              f"from local day {day(d)}")
        # 4. a member works a late evening (till 21:00 local) once
        cands = [m for m in ms if m.first_day == 0 and m.rate > 30 and not m.sat]
        self.special = set()
        m = rng.choice(cands)
        d = rng.choice([x for x in WORKDAYS[2:] if m.plans[x]])
        b = m.plans[d][0]
        m.plans[d].append([b[1], 21 * 60, None, b[3]])
        self.special.add(m.i)
        self.confusers.append(f"late_evening: {m.id} (UTC{m.tz / 60:+g}) works until 21:00 local on {day(d)}")
        # 5. quarter-end report export, legitimately large, for a whole finance team
        fin = [k for k in big if k[1] == "finance"] or [k for k in sorted(teams) if k[1] == "finance"]
        if fin:
            (t, team) = rng.choice(fin)
            d = max(x for x in WORKDAYS if x != self.holiday[t])
            self.quarter_end = (teams[(t, team)], d)
            self.confusers.append(f"quarter_end_export: {t}/finance ({len(teams[(t, team)])} members) export "
                                  f"2-25 MB reports via drive.export_document on local day {day(d)}")
        else:
            self.quarter_end = ([], 0)
        # 6. a member returns from a week's vacation (off 5 working days)
        cands = [m for m in cands if m.i not in self.special]
        m = rng.choice(cands)
        for d in (2, 3, 4, 7, 8):
            m.plans[d] = None
        for d in (0, 1, 9):
            if not m.plans[d]:
                s = m.start
                m.plans[d] = [[s, s + m.length, s + 240, WEEKDAY_FACTOR[d % 7]]]
        self.special.add(m.i)
        self.confusers.append(f"vacation_return: {m.id} off {day(2)}..{day(8)}, back on {day(9)}")

    # ---------- background traffic ----------
    def background(self):
        rng = self.rng
        for m in self.members:
            for d in range(DAYS):
                for blk in m.plans[d] or []:
                    self.block(m, d, *blk)
        members, d = self.quarter_end
        for m in members:
            if m.plans[d]:
                s, e = m.plans[d][0][:2]
                sid, agent, dur = self.sid(), m.agents[0], rng.uniform(15, 50)
                t0 = self.day_base(m, d) + int(rng.uniform(s + 60, e - 60) * MIN_MS)
                for ts in self.times(t0, dur, rng.randint(2, 6)):  # one reporting session
                    uri = self.res_uri(m, "drive.export_document", rng.randint(0, 8), scope="finance/close")
                    self.call(m, "drive.export_document", ts, sid, agent, uri=uri,
                              rb=int(rng.uniform(2e6, 25e6)), noise=False)

    def block(self, m, d, ws, we, lunch, factor):
        rng = self.rng
        n = m.rate * (we - ws) / m.length * factor * rng.lognormvariate(0, 0.3)
        n = int(n + rng.random())
        if n <= 0:
            return
        base = self.day_base(m, d)
        tools, cw = m.tools, m.cw
        if m.rollout_day is not None and d >= m.rollout_day:
            tools = tools + ["confluence.search_pages"]
            cw = cw + [cw[-1] + cw[0] * 0.4]
        sessions = []
        for _ in range(max(1, round(n / m.cps))):
            while True:
                t = rng.uniform(ws, we)
                p = 0.3 if lunch and lunch <= t < lunch + 60 else 0.7 if t < ws + 30 else 1.0
                if rng.random() < p:
                    break
            dur = rng.uniform(5, 60)
            if t + dur > we + 10:
                t = max(ws, we + 10 - dur)
            sessions.append((t, dur, self.sid(), rng.choice(m.agents)))
        picks = rng.choices(tools, cum_weights=cw, k=n)
        if m.rollout_day == d:
            picks[0] = "confluence.search_pages"  # everyone's first use on rollout day
        pool = [t for t in TEAMS[m.team][1] if t not in m.tools and t not in ADMIN and SERVER[t] != "iam"]
        # every session gets one call, the rest go to sessions with uneven (exponential) weights
        scw = self.cum([rng.expovariate(1.0) for _ in sessions])
        rest = rng.choices(sessions, cum_weights=scw, k=max(0, n - len(sessions)))
        for i in range(n):
            t, dur, sid, agent = sessions[i] if i < len(sessions) else rest[i - len(sessions)]
            ts = base + int((t + rng.random() * dur) * MIN_MS)
            tool = picks[i]
            if pool and rng.random() < 0.003:
                tool = rng.choice(pool)
            self.call(m, tool, ts, sid, agent)

    # ---------- incidents ----------
    def incidents(self):
        rng, used = self.rng, set(self.special)
        kinds = ["spike", "exfiltration", "breadth", "read_then_send", "probing", "first_seen", "off_hours"]
        for kind in kinds:
            for k in range(4):
                ok = self.member_filter(kind, k)
                cands = [m for m in self.members if m.i not in used and ok(m)]
                if not cands:
                    cands = [m for m in self.members if m.i not in self.special and ok(m)]
                m = rng.choice(cands)
                used.add(m.i)
                getattr(self, "inc_" + kind)(m, k)

    def member_filter(self, kind, k):
        reads = lambda m: any(TOOLS[t][0] == "read" for t in m.tools)
        works = lambda m: any(m.plans[d] for d in WORKDAYS if d >= max(2, m.first_day + 2))
        if kind in ("exfiltration", "breadth"):
            return lambda m: works(m) and reads(m)
        if kind == "first_seen":
            return lambda m: works(m) and not any(t in ADMIN or SERVER[t] == "iam" for t in m.tools)
        if kind == "off_hours" and k >= 2:  # Sunday variant: weekday-only members
            return lambda m: not m.sat and m.first_day + 2 <= 6
        return works

    def workday_slot(self, m, dur_min):
        """A working day (not in the member's first 2 days) and a local start minute inside working hours."""
        rng = self.rng
        d = rng.choice([d for d in WORKDAYS if d >= max(2, m.first_day + 2) and m.plans[d]])
        s, e = m.plans[d][0][:2]
        t = rng.uniform(s + 20, max(s + 21, e - dur_min - 10))
        return d, self.day_base(m, d) + int(t * MIN_MS)

    def times(self, start_ms, dur_min, n):
        return sorted(start_ms + int(self.rng.random() * dur_min * MIN_MS) for _ in range(n))

    def label(self, kind, m, tool, ts_list, note):
        self.labels.append({"kind": kind, "actor": m.id, "tenant": m.tenant, "tool": tool,
                            "start": self.iso(min(ts_list)), "end": self.iso(max(ts_list)), "note": note})

    def weight(self, m, tool):
        i = m.tools.index(tool)
        return (m.cw[i] - (m.cw[i - 1] if i else 0)) / m.cw[-1]

    def pace_per_min(self, m, tool):  # the member's ordinary in-session rate for one tool
        return min(4.0, max(0.1, self.weight(m, tool) * m.cps / 32.5))

    def habitual_read(self, m):
        reads = [t for t in m.tools if TOOLS[t][0] == "read"]
        return self.rng.choices(reads, weights=[self.weight(m, t) for t in reads])[0]

    def inc_spike(self, m, k):
        rng = self.rng
        tool = m.tools[rng.randrange(min(2, len(m.tools)))]
        hourly = m.rate * self.weight(m, tool) / (m.length / 60)
        hours, dur = rng.uniform(6, 15), rng.uniform(10, 20)
        n = max(15, round(hourly * hours))
        d, t0 = self.workday_slot(m, dur)
        sid, agent = self.sid(), m.agents[0]
        ts = [self.call(m, tool, t, sid, agent, incident=True) for t in self.times(t0, dur, n)]
        self.label("spike", m, tool, ts, f"{n} calls in {dur:.0f} min (~{hourly:.1f}/h normally, {hours:.0f} h worth)")

    def inc_exfiltration(self, m, k):
        rng = self.rng
        tool = self.habitual_read(m)
        st, dur = self.tool_state(m, tool), rng.uniform(20, 60)
        n = max(4, round(self.pace_per_min(m, tool) * dur))
        mult = rng.uniform(50, 200)
        d, t0 = self.workday_slot(m, dur)
        sid, agent = self.sid(), m.agents[0]
        ts = [self.call(m, tool, t, sid, agent, rb=int(st["r_med"] * mult * rng.lognormvariate(0, 0.2)),
                        noise=False, incident=True) for t in self.times(t0, dur, n)]
        self.label("exfiltration", m, tool, ts, f"{n} calls returning ~{mult:.0f}x usual "
                                                f"{st['r_med'] / 1000:.1f} KB over {dur:.0f} min")

    def inc_breadth(self, m, k):
        rng = self.rng
        tool = self.habitual_read(m)
        dur = rng.uniform(30, 90)
        n = max(10, round(self.pace_per_min(m, tool) * dur))
        d, t0 = self.workday_slot(m, dur)
        sid, agent = self.sid(), m.agents[0]
        scope, first = rng.choice(["archive", "legacy", "restricted", "exports"]), rng.randint(10**6, 2 * 10**6)
        ts = [self.call(m, tool, t, sid, agent, incident=True,
                        uri=self.res_uri(m, tool, first + j, scope=f"{scope}-{m.tenant}"))
              for j, t in enumerate(self.times(t0, dur, n))]
        self.label("breadth", m, tool, ts, f"{n} never-touched resources enumerated over {dur:.0f} min")

    def inc_read_then_send(self, m, k):
        rng = self.rng
        sens = ["pg.run_query", "fs.read_file", "drive.export_document"]
        read = rng.choice([t for t in m.tools if t in sens] or sens)
        send = ["mail.send", "http.post", "slack.post_message"][k % 3] if k < 3 else rng.choice(
            ["mail.send", "http.post", "slack.post_message"])
        size, gap = int(rng.uniform(1e6, 20e6)), rng.uniform(2, 20)
        d, t0 = self.workday_slot(m, gap + 5)
        sid, agent = self.sid(), m.agents[0]
        sink = {"mail.send": f"mailto:{m.short.split('-')[0]}{rng.randint(1, 99)}@gmail.com",
                "http.post": f"https://files.transfer-drop.net/upload/{rng.getrandbits(40):010x}",
                "slack.post_message": f"slack://external/#shared-vendor-{rng.randint(1, 30)}"}[send]
        t1 = self.call(m, read, t0, sid, agent, rb=size, noise=False, incident=True)
        t2 = self.call(m, send, t0 + int(gap * MIN_MS), sid, agent, uri=sink, ab=int(size * rng.uniform(1.0, 1.37)),
                       noise=False, incident=True)
        self.label("read_then_send", m, send, [t1, t2], f"{read} returned {size / 1e6:.1f} MB, "
                                                        f"{send} to external sink {gap:.0f} min later")

    def inc_probing(self, m, k):
        rng = self.rng
        others = [t for t in TOOLS if t not in m.tools and t != "confluence.search_pages"]
        tools = rng.sample(others, min(len(others), rng.randint(4, 10)))
        dur, n = rng.uniform(3, 8), rng.randint(30, 60)
        d, t0 = self.workday_slot(m, dur)
        sid, agent = self.sid(), m.agents[0]
        ts = [self.call(m, rng.choice(tools), t, sid, agent, status="denied", incident=True,
                        policy={"decision": "deny", "policy_id": f"{m.tenant}-default",
                                "rule_id": "tool-not-granted"})
              for t in self.times(t0, dur, n)]
        self.label("probing", m, None, ts, f"{n} denied calls over {dur:.1f} min across {len(tools)} unused tools")

    def inc_first_seen(self, m, k):
        rng = self.rng
        tool = sorted(ADMIN)[k % 3] if k < 3 else rng.choice(sorted(ADMIN))
        n = rng.randint(1, 3)
        d, t0 = self.workday_slot(m, 5)
        sid, agent = self.sid(), m.agents[0]
        ts = [self.call(m, tool, t, sid, agent, noise=False, incident=True) for t in self.times(t0, 4, n)]
        self.label("first_seen", m, tool, ts, f"{n} call(s) of admin tool by a member with no admin history")

    def inc_off_hours(self, m, k):
        rng = self.rng
        dur = rng.uniform(30, 60)
        if k < 2:  # 02:00-04:30 local on a working day
            d = rng.choice([d for d in WORKDAYS if d >= max(2, m.first_day + 2) and m.plans[d]])
            start_min, where = rng.uniform(120, 270 - dur), "02:00-04:30 local on a working day"
        else:      # a Sunday for a weekday-only member
            d, start_min, where = 6, rng.uniform(600, 1020), "Sunday, weekday-only member"
        t0 = self.day_base(m, d) + int(start_min * MIN_MS)
        n = max(10, round(min(4.0, m.cps / 32.5) * dur))
        sid, agent = self.sid(), m.agents[0]
        picks = rng.choices(m.tools, cum_weights=m.cw, k=n)
        ts = [self.call(m, picks[j], t, sid, agent, incident=True) for j, t in enumerate(self.times(t0, dur, n))]
        self.label("off_hours", m, None, ts, f"{n} ordinary calls over {dur:.0f} min, {where}")

    # ---------- output ----------
    def write(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        self.out.sort()
        with open(os.path.join(out_dir, "events.jsonl"), "w") as f:
            f.write("\n".join(line for _, line in self.out))
            f.write("\n")
        self.labels.sort(key=lambda l: l["start"])
        with open(os.path.join(out_dir, "labels.jsonl"), "w") as f:
            f.writelines(DUMPS(l) + "\n" for l in self.labels)
        summary = {"model": "office", "seed": self.seed, "events": len(self.out),
                   "incident_events": self.incident_events, "members": len(self.members),
                   "tenants": len(self.tenants), "days": DAYS,
                   "first_event": self.iso(self.out[0][0]), "last_event": self.iso(self.out[-1][0]),
                   "resource_field": "target.resource_uri",
                   "error_statuses": "tool_error / timeout (SCHEMA has no plain 'error'); denied with policy.decision deny",
                   "holidays": {t: self.iso(EPOCH0_MS + d * DAY_MS)[:10] for t, d in self.holiday.items()},
                   "confusers": self.confusers}
        with open(os.path.join(out_dir, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
        return summary


def main():
    ap = argparse.ArgumentParser(description="office traffic model for Countersign evaluation")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    t0 = time.time()
    w = World(a.seed, a.scale)
    w.build()
    w.plan()
    w.plant_confusers()
    w.background()
    w.incidents()
    s = w.write(a.out)
    print(f"office: {s['events']} events ({s['incident_events']} in {len(w.labels)} incidents), "
          f"{s['members']} members, {s['tenants']} tenants, {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
