#!/usr/bin/env python3
"""Countersign evaluation traffic model: "operations" (round-the-clock ops organisation).

Usage: python3 operations.py --seed N --out DIR [--scale 1.0]
Writes DIR/events.jsonl (mcp.audit/1, sorted by occurred_at), DIR/labels.jsonl (planted
incidents) and DIR/summary.json. Standard library only; output is a pure function of
(--seed, --scale).

Assumptions of this model
- 8 days from Monday 2026-08-17T00:00Z. Three tenants: orbit-ops (NOC, SOC, SRE, bots),
  orbit-support (follow-the-sun support), orbit-data (data platform). Each tenant sits
  behind one gateway product (mcp-hangar, agentgateway, contextforge).
- Time zones are fixed UTC offsets (no DST change inside the period), including
  -09:30, +05:30 and +10:30 for support regions.
- NOC works rotating 8h shifts (06-14/14-22/22-06 local, 5 on 2 off), rotating forward on
  day 4. SOC works 12h shifts (07-19/19-07, 4 on 4 off); crew A moves from days to nights
  and crew C from nights to days on day 5. Shifts have a meal break.
- SRE and data engineers work weekdays ~9-18 local; one per team is on call per week
  (handover Monday 10:00 local) and gets sparse night pages (short bursts).
- Humans act either by hand (1-2 calls) or through an AI agent (burst of calls a few
  hundred ms apart, then idle); bursts carry actor.agent_id and their own session id.
- Service accounts and CI bots: cron (every 1/2/5/15 min, hourly), nightly batches at
  01:00 UTC, Poisson streams, CI jobs following the global working day, a deployer.
- Every identity reuses a working set of resources (drawn from its team's pool) per
  server and resource family; users drift slowly to new resources. The resource goes
  in target.resource_uri. Result sizes are lognormal around a per-identity-per-tool
  median times a per-resource factor; services are far more regular than users.
- Outcomes: ~1-3% tool_error/timeout, two flaky services with steady high error rates,
  ~0.3% denied (policy.decision deny, http 403).
- Some users join mid-period or go quiet for days; one service pauses for 3 days.
- Incidents (28, 4 per kind) are written from threat descriptions, not from any
  detector; sizes vary. Benign confusers are listed in summary.json, not labelled.
"""
import argparse, bisect, calendar, hashlib, itertools, json, math, os, random, sys, time, uuid, zlib
from collections import Counter, defaultdict

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
T0 = calendar.timegm((2026, 8, 17, 0, 0, 0)) * 1000      # a Monday
DAYS = 8
T_END = T0 + DAYS * DAY

# (server, tool): (kind, result median bytes, args median bytes, arg_keys, duration ms, resource family)
CATALOG = {
    ("github", "list_issues"): ("read", 9000, 90, ("owner", "repo", "state", "labels"), 320, "repo"),
    ("github", "get_file_contents"): ("read", 7000, 110, ("owner", "repo", "path", "ref"), 240, "file"),
    ("github", "create_issue"): ("write", 1800, 700, ("owner", "repo", "title", "body"), 450, "repo"),
    ("github", "push_files"): ("write", 900, 6000, ("owner", "repo", "branch", "files", "message"), 900, "file"),
    ("gitlab", "list_issues"): ("read", 8000, 90, ("project_id", "state", "labels"), 300, "repo"),
    ("gitlab", "get_file_contents"): ("read", 6000, 100, ("project_id", "file_path", "ref"), 250, "file"),
    ("gitlab", "create_issue"): ("write", 1600, 650, ("project_id", "title", "description"), 420, "repo"),
    ("postgres", "query"): ("read", 14000, 260, ("sql",), 180, "table"),
    ("postgres", "describe_table"): ("read", 2200, 60, ("table",), 60, "table"),
    ("mysql", "execute_sql"): ("read", 11000, 240, ("query",), 150, "table"),
    ("mysql", "describe_table"): ("read", 1900, 60, ("table",), 50, "table"),
    ("filesystem", "read_file"): ("read", 5000, 80, ("path",), 25, "path"),
    ("filesystem", "write_file"): ("write", 120, 3500, ("path", "content"), 35, "path"),
    ("filesystem", "list_directory"): ("read", 1600, 70, ("path",), 15, "dir"),
    ("filesystem", "search_files"): ("read", 3000, 90, ("path", "pattern"), 120, "dir"),
    ("kubernetes", "kubectl_get"): ("read", 6000, 90, ("resourceType", "name", "namespace"), 300, "pod"),
    ("kubernetes", "kubectl_logs"): ("read", 40000, 90, ("name", "namespace", "tail"), 600, "pod"),
    ("kubernetes", "kubectl_exec"): ("priv", 1500, 160, ("name", "namespace", "command"), 1200, "pod"),
    ("kubernetes", "scale_deployment"): ("write", 500, 80, ("name", "namespace", "replicas"), 700, "deploy"),
    ("aws", "s3_list_objects"): ("read", 9000, 70, ("bucket", "prefix"), 220, "bucket"),
    ("aws", "s3_get_object"): ("read", 60000, 90, ("bucket", "key"), 260, "object"),
    ("aws", "iam_create_user"): ("priv", 700, 80, ("user_name", "tags"), 500, "iam_user"),
    ("aws", "iam_create_access_key"): ("priv", 400, 40, ("user_name",), 450, "iam_user"),
    ("aws", "assume_role"): ("priv", 1300, 120, ("role_arn", "role_session_name", "duration_seconds"), 350, "role"),
    ("gcp", "query_bigquery"): ("read", 25000, 320, ("project", "query"), 1800, "bq"),
    ("gcp", "list_objects"): ("read", 7000, 60, ("bucket", "prefix"), 200, "gcs"),
    ("pagerduty", "list_incidents"): ("read", 4000, 60, ("service_ids", "statuses"), 250, "pd_service"),
    ("pagerduty", "get_incident"): ("read", 2500, 30, ("incident_id",), 180, "pd_incident"),
    ("pagerduty", "acknowledge_incident"): ("write", 600, 40, ("incident_id", "from"), 300, "pd_incident"),
    ("datadog", "query_metrics"): ("read", 18000, 150, ("query", "from", "to"), 400, "metric"),
    ("datadog", "list_monitors"): ("read", 7000, 50, ("tags",), 300, "monitor"),
    ("slack", "send_message"): ("send", 350, 420, ("channel", "text"), 200, "channel"),
    ("slack", "get_channel_history"): ("read", 14000, 50, ("channel", "limit"), 260, "channel"),
    ("gmail", "search_emails"): ("read", 9000, 80, ("query", "max_results"), 500, "mailbox"),
    ("gmail", "read_email"): ("read", 6000, 40, ("message_id",), 300, "mail"),
    ("gmail", "send_email"): ("send", 300, 1800, ("to", "subject", "body"), 700, "recipient"),
    ("fetch", "fetch_url"): ("read", 22000, 110, ("url", "max_length"), 800, "url"),
    ("fetch", "post_webhook"): ("send", 200, 600, ("url", "payload"), 400, "hook"),
    ("sentry", "list_issues"): ("read", 8000, 60, ("organization", "project"), 350, "sentry_project"),
    ("sentry", "get_issue"): ("read", 5000, 40, ("issue_id",), 250, "sentry_issue"),
    ("vault", "get_secret"): ("priv", 450, 50, ("path", "version"), 60, "secret"),
    ("vault", "list_secrets"): ("read", 1200, 50, ("path",), 50, "secret_dir"),
}
PRIV = {k for k, v in CATALOG.items() if v[0] == "priv"}
FRESH = {"mail", "pd_incident", "object", "recipient", "url", "sentry_issue"}   # naturally new ids
ENUMERABLE = {"table", "bucket", "repo", "file", "secret_dir", "dir", "path", "sentry_project", "bq", "gcs", "pod", "metric"}
TENANTS = {"orbit-ops": ("mcp-hangar", "2.13.0", ["hangar-7d9f", "hangar-2c41"]),
           "orbit-support": ("agentgateway", "0.6.2", ["agw-eu-1", "agw-us-1", "agw-ap-1"]),
           "orbit-data": ("contextforge", "0.9.1", ["cf-0", "cf-1"])}
ROLE_TOOLS = {
    "noc": "kubernetes.kubectl_get 20 kubernetes.kubectl_logs 10 datadog.query_metrics 22 datadog.list_monitors 5 pagerduty.list_incidents 10 pagerduty.get_incident 6 pagerduty.acknowledge_incident 3 slack.send_message 8 slack.get_channel_history 4 filesystem.read_file 5 sentry.list_issues 3",
    "soc": "aws.s3_list_objects 6 aws.s3_get_object 12 fetch.fetch_url 8 datadog.query_metrics 6 pagerduty.list_incidents 4 pagerduty.acknowledge_incident 2 github.list_issues 3 github.create_issue 2 filesystem.search_files 5 filesystem.read_file 5 postgres.query 4 slack.send_message 5 vault.list_secrets 1",
    "sre": "kubernetes.kubectl_get 18 kubernetes.kubectl_logs 10 kubernetes.scale_deployment 1 datadog.query_metrics 14 github.list_issues 5 github.get_file_contents 10 github.create_issue 1 github.push_files 2 sentry.list_issues 4 sentry.get_issue 3 slack.send_message 6 filesystem.read_file 4 postgres.query 3 aws.s3_list_objects 2 pagerduty.list_incidents 3",
    "support": "gitlab.list_issues 10 gitlab.create_issue 3 gitlab.get_file_contents 2 gmail.search_emails 8 gmail.read_email 12 gmail.send_email 7 slack.send_message 6 mysql.execute_sql 6 mysql.describe_table 1 filesystem.read_file 6 filesystem.search_files 4 sentry.list_issues 2 sentry.get_issue 3 fetch.fetch_url 2",
    "data": "postgres.query 15 postgres.describe_table 4 mysql.execute_sql 6 gcp.query_bigquery 10 gcp.list_objects 3 aws.s3_list_objects 4 aws.s3_get_object 6 github.get_file_contents 6 github.push_files 2 github.list_issues 3 slack.send_message 4 datadog.query_metrics 4 filesystem.read_file 3 filesystem.write_file 2 kubernetes.kubectl_get 3",
    "priv": "kubernetes.kubectl_exec 1 vault.get_secret 1 aws.assume_role 1",
    "page": "pagerduty.get_incident 3 kubernetes.kubectl_get 6 kubernetes.kubectl_logs 5 datadog.query_metrics 6 slack.send_message 3 sentry.list_issues 1",
}
WORDS = "payments checkout auth billing search ledger notify gateway catalog inventory profile ingest reports alerts edge mobile web scheduler pricing orders shipping fraud identity media chat status".split()
SUFFIX = "api worker ui jobs config sdk infra db".split()
TABLES = "orders customers invoices payments sessions events users tickets refunds subscriptions accounts shipments products audit_log feature_flags api_keys plans usage_daily churn_scores leads contacts credit_cards addresses employees payroll".split()
FIRST = "ana ben chloe dev emma femi gus hana ivan jia kofi lena marco nadia omar priya quinn rosa sam tara umar vera wei xena yusuf zoe".split()
LAST = "ortiz nakamura okafor schmidt patel silva kowalski nguyen haddad larsen murphy rossi kim mensah dubois fischer ali costa reyes novak".split()
TS, SEQ, ACT, SRV, TOOL, RES, ST, RB, AB, DUR, SES, AG, ETYPE, VAR, INC = range(15)


def parse_tools(spec):
    p = spec.split()
    return [(tuple(p[i].split(".")), float(p[i + 1])) for i in range(0, len(p), 2)]


def fmt(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 1000)) + ".%03dZ" % (ts % 1000)


def lmid(tz, d):          # UTC ms of local midnight of local date d (0 = Monday 2026-08-17)
    return T0 + d * DAY - tz * MIN


class Ident:
    def __init__(self, idx, aid, typ, tenant, team, cls, tz=0):
        self.idx, self.id, self.type, self.tenant, self.team, self.cls, self.tz = idx, aid, typ, tenant, team, cls, tz
        self.tools, self.cum, self.med, self.ws = [], [], {}, {}
        self.agents, self.client, self.rate, self.p_agent, self.burst = [], None, 0.0, 0.0, 1.0
        self.err, self.deny, self.sigma, self.start, self.off, self.quiet = 0.015, 0.003, 0.7, T0, [], set()

    def set_tools(self, pairs):
        self.tools = [t for t, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))


class World:
    def __init__(self, seed, scale):
        self.seed, self.scale, self.rng = seed, scale, random.Random(seed)
        self.ev, self.seq, self.ids, self.unis, self.pools = [], 0, [], {}, {}
        self.confusers, self.confuser_actors = [], set()

    # ---- resources -------------------------------------------------------------
    def universe(self, tenant, srv, fam):
        key = (tenant, srv, fam)
        if key in self.unis:
            return self.unis[key]
        r = random.Random(self.seed * 1_000_003 + zlib.crc32("|".join(key).encode()))
        w = [f"{a}-{b}" for a in WORDS for b in SUFFIX]
        org = tenant.split("-")[1]
        db = {"orbit-ops": "prod-main", "orbit-support": "crm", "orbit-data": "warehouse"}[tenant]
        paths = "README.md src/main.py deploy/values.yaml Dockerfile docs/runbook.md config/prod.yaml src/handlers.go Makefile .github/workflows/ci.yml schema.sql".split()
        hx = lambda n: "%0*x" % (n, r.getrandbits(4 * n))
        gen = {
            "repo": lambda: [f"{srv}://orbit/{x}" for x in w],
            "file": lambda: [f"{srv}://orbit/{x}/blob/main/{p}" for x in w for p in paths],
            "table": lambda: [f"{srv}://{db}/{s}.{t}" for s in ("public", "billing", "analytics", "audit", "raw") for t in TABLES],
            "path": lambda: [f"file:///srv/{a}/{x}/{f}" for a in ("runbooks", "kb", "configs", "exports", "logs") for x in WORDS for f in ("index.md", "notes.md", "settings.yaml", "latest.log")],
            "dir": lambda: [f"file:///srv/{a}/{x}/" for a in ("runbooks", "kb", "configs", "exports", "logs", "builds") for x in WORDS],
            "pod": lambda: [f"k8s://{c}/{x.split('-')[0]}/pod/{x}-{hx(5)}" for c in ("prod-eu1", "prod-us1", "staging") for x in w],
            "deploy": lambda: [f"k8s://{c}/{x.split('-')[0]}/deployment/{x}" for c in ("prod-eu1", "prod-us1", "staging") for x in w],
            "bucket": lambda: [f"s3://orbit-{x}-{k}/" for x in WORDS for k in ("logs", "exports", "backups", "artifacts", "cloudtrail", "data")],
            "object": lambda: [f"s3://orbit-{r.choice(WORDS)}-{r.choice(('logs', 'exports', 'cloudtrail', 'data'))}/2026/08/{r.randint(1, 24):02d}/part-{r.randint(0, 99999):05d}.json.gz" for _ in range(3000)],
            "iam_user": lambda: [f"arn:aws:iam::482193047711:user/{x}" for x in w],
            "role": lambda: [f"arn:aws:iam::482193047711:role/{x}-admin" for x in w],
            "bq": lambda: [f"bigquery://orbit-analytics/{x}.{t}" for x in WORDS for t in TABLES[:10]],
            "gcs": lambda: [f"gs://orbit-{x}-{k}/" for x in WORDS for k in ("raw", "curated", "exports")],
            "pd_service": lambda: [f"pagerduty://services/{x}" for x in w],
            "pd_incident": lambda: [f"pagerduty://incidents/Q{hx(6).upper()}" for _ in range(3000)],
            "metric": lambda: [f"datadog://{m}{{service:{x}}}" for m in ("system.cpu.user", "trace.http.request.duration", "kafka.consumer.lag", "postgresql.connections", "http.5xx", "jvm.heap_used") for x in WORDS],
            "monitor": lambda: [f"datadog://monitors?tag=team:{x}" for x in WORDS],
            "channel": lambda: [f"slack://orbit/#{p}-{x}" for p in ("inc", "ops", "support", "team", "alerts") for x in WORDS],
            "mailbox": lambda: [f"gmail://{q}@orbit-{org}.com/search" for q in ("billing", "help", "escalations", "enterprise", "refunds", "security", "partners")],
            "mail": lambda: [f"gmail://msg/{hx(16)}" for _ in range(5000)],
            "recipient": lambda: [f"mailto:{r.choice(FIRST)}.{r.choice(LAST)}@{r.choice(WORDS)}-{r.choice(('corp', 'gmbh', 'ltd', 'inc'))}.com" for _ in range(3000)],
            "url": lambda: [f"https://{h}/{x}/{hx(6)}" for h in ("status.aws.amazon.com", "docs.python.org", "otx.alienvault.com/api/v1/indicators", "api.abuseipdb.com/check", "kb.orbit.internal", "www.githubstatus.com") for x in WORDS for _ in range(3)],
            "hook": lambda: [f"https://hooks.orbit.internal/{x}" for x in WORDS],
            "sentry_project": lambda: [f"sentry://orbit/{x}" for x in w],
            "sentry_issue": lambda: [f"sentry://orbit/{r.choice(WORDS)}/issues/{r.randint(10000, 99999)}" for _ in range(3000)],
            "secret": lambda: [f"vault://secret/data/{x}/{k}" for x in WORDS for k in ("db-password", "api-key", "tls-cert", "oauth-client", "signing-key", "webhook-token")],
            "secret_dir": lambda: [f"vault://secret/metadata/{x}/" for x in WORDS],
        }[fam]()
        r.shuffle(gen)
        self.unis[key] = gen
        return gen

    def resource(self, ident, srv, tool):
        fam = CATALOG[(srv, tool)][5]
        key = (srv, fam)
        ws, rng = ident.ws.get(key), self.rng
        if ws is None:
            pk = (ident.team, ident.tenant, srv, fam)
            if pk not in self.pools:
                u = self.universe(ident.tenant, srv, fam)
                self.pools[pk] = rng.sample(u, min(len(u), 300 if fam in FRESH else 60))
            pool = self.pools[pk]
            k = rng.randint(1, 6) if ident.type == "service" else rng.randint(4, 30)
            ws = ident.ws[key] = rng.sample(pool, min(k, len(pool)))
        if fam in FRESH and rng.random() < 0.4:
            return rng.choice(self.universe(ident.tenant, srv, fam))
        if ident.type == "user" and rng.random() < 0.008:
            r = rng.choice(self.pools[(ident.team, ident.tenant, srv, fam)])
            if r not in ws:
                ws.append(r)
            return r
        return ws[int(len(ws) * rng.random() ** 2)]

    # ---- one tool call ---------------------------------------------------------------
    def call(self, ident, ts, tool, res=None, ses=None, ag=None, status=None, rb=None, ab=None, var=None, inc=0, rmult=1.0):
        ts = int(ts)
        if ts < T0 or ts >= T_END or ts < ident.start:
            return None
        for a, b in ident.off:
            if a <= ts < b:
                return None
        rng, spec = self.rng, CATALOG[tool]
        if res is None:
            res = self.resource(ident, *tool)
        med = ident.med.get(tool)
        if med is None:
            med = ident.med[tool] = spec[1] * math.exp(rng.gauss(0, 0.1 if ident.type == "service" else 0.5))
        etype = None
        if status is None:
            u = rng.random()
            status = "denied" if u < ident.deny else "tool_error" if u < ident.deny + ident.err else "timeout" if u < ident.deny + ident.err + 0.002 else "success"
        dur = spec[4] * math.exp(rng.gauss(0, 0.2 if ident.type == "service" else 0.45))
        if status == "success":
            if rb is None:
                rf = math.exp(((zlib.crc32(res.encode()) % 1000) / 1000 - 0.5) * 1.6)
                rb = int(med * rf * rmult * math.exp(rng.gauss(0, ident.sigma))) + 40
            dur += rb / 40_000
        elif status == "tool_error":
            rb, etype = rng.randint(80, 400), rng.choice(("NotFound", "InvalidArguments", "UpstreamError", "UpstreamError", "Conflict"))
        elif status == "timeout":
            rb, etype, dur = None, "Timeout", 30_000 + rng.random() * 200
        else:
            rb, dur = None, 2 + rng.random() * 15
        if ab is None:
            ab = int(spec[2] * math.exp(rng.gauss(0, 0.03 if ident.type == "service" else 0.35))) + 2
        if var is None:
            var = rng.getrandbits(24)
        self.seq += 1
        e = (ts, self.seq, ident.idx, tool[0], tool[1], res, status, rb, ab, round(dur, 1), ses, ag, etype, var, inc)
        self.ev.append(e)
        return e

    def sid(self):
        return "s-%08x" % self.rng.getrandbits(32)

    def pick(self, ident, tools=None):
        tl, cum = tools or (ident.tools, ident.cum)
        return tl[bisect.bisect(cum, self.rng.random() * cum[-1])]

    # ---- human activity ----------------------------------------------------------
    def human_block(self, ident, a, b, rate, inc=0, tools=None):
        """Poisson actions in [a, b) at ~rate calls/hour: AI-agent bursts or 1-2 manual calls."""
        rng, out = self.rng, []
        mean_act = ident.p_agent * ident.burst + (1 - ident.p_agent) * 1.25
        lam = rate / mean_act / HOUR
        if lam <= 0 or b <= a:
            return out
        t, ses, ses_end = a + rng.expovariate(lam), None, 0
        while t < b:
            if rng.random() < ident.p_agent:
                n = min(80, 2 + int(rng.expovariate(1.0 / max(1.0, ident.burst - 2))))
                sid, ag, tool, tt = self.sid(), rng.choice(ident.agents), self.pick(ident, tools), t
                for k in range(n):
                    if k and rng.random() < 0.45:
                        tool = self.pick(ident, tools)
                    out.append(self.call(ident, tt, tool, ses=sid, ag=ag, inc=inc))
                    tt += rng.lognormvariate(6.5, 0.8)
            else:
                if t > ses_end:
                    ses, ses_end = self.sid(), t + rng.uniform(30, 150) * MIN
                out.append(self.call(ident, t, self.pick(ident, tools), ses=ses, inc=inc))
                if rng.random() < 0.25:
                    out.append(self.call(ident, t + rng.randint(2000, 40000), self.pick(ident, tools), ses=ses, inc=inc))
            t += rng.expovariate(lam)
        return [e for e in out if e]

    def shift(self, ident, a, b, rate):
        rng = self.rng
        mid, brk = a + (b - a) * rng.uniform(0.4, 0.6), rng.uniform(30, 50) * MIN
        self.human_block(ident, a, a + 20 * MIN, rate * 0.6)
        self.human_block(ident, a + 20 * MIN, mid, rate)
        self.human_block(ident, mid, mid + brk, rate * 0.1)
        self.human_block(ident, mid + brk, b, rate)

    def page(self, ident, t):
        rng, tools = self.rng, self.page_tools
        sid, ag = self.sid(), rng.choice(ident.agents)
        self.call(ident, t, ("pagerduty", "acknowledge_incident"), ses=sid)
        for _ in range(rng.randint(8, 40)):
            t += rng.lognormvariate(10.0, 0.9)   # ~22 s median between calls
            self.call(ident, t, self.pick(ident, tools), ses=sid, ag=ag if rng.random() < 0.5 else None)


def new_human(w, cls, team, tenant, role, tz, rate, extra=None):
    rng = w.rng
    if tenant == "orbit-ops":
        aid = "u%04d" % w.uid_pool.pop()
    else:
        while True:
            aid = f"{rng.choice(FIRST)}.{rng.choice(LAST)}@orbit-{tenant.split('-')[1]}.com"
            if aid not in w.names:
                break
    w.names.add(aid)
    h = Ident(len(w.ids), aid, "user", tenant, team, cls, tz)
    pairs = [(t, wt * math.exp(rng.gauss(0, 0.5))) for t, wt in parse_tools(ROLE_TOOLS[role]) if rng.random() > 0.25]
    if len(pairs) < 5:
        pairs = parse_tools(ROLE_TOOLS[role])
    if extra:
        pairs += parse_tools(ROLE_TOOLS[extra])
    h.set_tools(pairs)
    h.rate = rate * math.exp(rng.gauss(0, 0.3))
    h.p_agent, h.burst = rng.uniform(0.1, 0.6), rng.uniform(5, 18)
    h.agents = rng.sample(["claude-code", "cursor-agent", "ops-copilot", "goose", "claude-desktop", "support-copilot"], 2)
    h.client = rng.choice(["claude-desktop", "vscode", "cursor", "ops-console"])
    h.err, h.deny, h.sigma = rng.uniform(0.008, 0.025), 0.004, rng.uniform(0.5, 0.8)
    u = rng.random()
    if u < 0.03:
        h.start = T0 + rng.randint(1, 5) * DAY + rng.randint(0, 12) * HOUR          # joins mid-period
    elif u < 0.09:
        q0 = rng.randint(1, 5)
        h.quiet = set(range(q0, q0 + rng.randint(2, 4)))                           # vacation / sick
    w.ids.append(h)
    return h


def build_humans(w, s):
    rng, n = w.rng, lambda base, lo: max(lo, round(base * s))
    w.uid_pool = rng.sample(range(1000, 10000), 3000)
    w.names, teams = set(), defaultdict(list)
    for i in range(n(75, 9)):       # NOC: 8h rotating shifts
        teams["noc"].append(new_human(w, "shift", "noc", "orbit-ops", "noc", 60, 42))
    for i in range(n(52, 8)):       # SOC: 12h shifts, 4 crews
        teams["soc"].append(new_human(w, "shift", "soc", "orbit-ops", "soc", 330, 38))
    regions = [(-570, 0.06), (-420, 0.22), (-240, 0.22), (60, 0.2), (330, 0.18), (630, 0.12)]
    for i in range(n(165, 12)):     # support, follow the sun
        tz = regions[i % len(regions)][0] if i < len(regions) else rng.choices([r for r, _ in regions], [p for _, p in regions])[0]
        teams["support"].append(new_human(w, "support", f"support{tz:+d}", "orbit-support", "support", tz, 34))
    for team, tz, tenant, role, base in (("sre-core", 60, "orbit-ops", "sre", 34), ("sre-platform", -420, "orbit-ops", "sre", 30), ("data-platform", -240, "orbit-data", "data", 30), ("data-eng", 60, "orbit-data", "data", 20)):
        for i in range(n(base, 4)):
            teams[team].append(new_human(w, "engineer", team, tenant, role, tz, 30, "priv" if role == "sre" and rng.random() < 0.4 else None))
    w.page_tools = ([t for t, _ in parse_tools(ROLE_TOOLS["page"])], list(itertools.accumulate(x for _, x in parse_tools(ROLE_TOOLS["page"]))))
    # crews and start offsets
    for k, h in enumerate(teams["noc"]):
        h.crew, h.off7 = k % 3, rng.randrange(7)
    for k, h in enumerate(teams["soc"]):
        h.crew = k % 4
    for h in teams["support"] + [x for t in ("sre-core", "sre-platform", "data-platform", "data-eng") for x in teams[t]]:
        h.h0 = rng.uniform(7.5, 10.0) if h.cls == "support" else rng.uniform(8.0, 10.5)
        h.sat_shift = h.cls == "support" and rng.random() < 0.2     # Tue-Sat schedule
    return teams


def schedule_humans(w, teams):
    rng = w.rng
    for h in teams["noc"]:
        for d in range(-1, DAYS + 1):
            if d in h.quiet or (d + h.off7) % 7 >= 5:
                continue
            crew = h.crew if d < 4 else (h.crew + 1) % 3
            a = lmid(h.tz, d) + (6, 14, 22)[crew] * HOUR + rng.randint(-15, 5) * MIN
            w.shift(h, a, a + 8 * HOUR + rng.randint(-5, 30) * MIN, h.rate * (0.7 if crew == 2 else 1.0))
    for h in teams["soc"]:
        for d in range(-1, DAYS + 1):
            crew = h.crew if d < 5 else (h.crew + 2) % 4
            if d in h.quiet or ((d + (4 if crew % 2 else 0)) % 8) >= 4:
                continue
            a = lmid(h.tz, d) + (7 if crew < 2 else 19) * HOUR + rng.randint(-15, 5) * MIN
            w.shift(h, a, a + 12 * HOUR + rng.randint(-5, 30) * MIN, h.rate * (0.7 if crew >= 2 else 1.0))
    for h in teams["support"]:
        for d in range(-1, DAYS + 1):
            wd = d % 7
            if d in h.quiet or (wd not in (1, 2, 3, 4, 5) if h.sat_shift else wd >= 5):
                continue
            a = lmid(h.tz, d) + int((h.h0 + rng.uniform(-0.3, 0.3)) * HOUR)
            w.shift(h, a, a + int(8.5 * HOUR), h.rate)
    for team in ("sre-core", "sre-platform", "data-platform", "data-eng"):
        mem = teams[team]
        for h in mem:
            for d in range(-1, DAYS + 1):
                if d in h.quiet:
                    continue
                if d % 7 < 5:
                    a = lmid(h.tz, d) + int((h.h0 + rng.uniform(-0.5, 0.5)) * HOUR)
                    w.shift(h, a, a + int(rng.uniform(8, 10) * HOUR), h.rate)
                elif rng.random() < 0.15:
                    a = lmid(h.tz, d) + rng.randint(10, 20) * HOUR
                    w.human_block(h, a, a + rng.randint(40, 120) * MIN, h.rate * 0.7)
        # on-call: one person per week (handover Monday 10:00 local), sparse night pages
        oc = [h for h in mem if not h.quiet and h.start == T0] or mem
        tz, off = mem[0].tz, rng.randrange(len(oc))
        w.oncall[team] = [oc[off % len(oc)], oc[(off + 1) % len(oc)]]
        for d in range(-1, DAYS + 1):
            a, b = lmid(tz, d) + 22 * HOUR, lmid(tz, d + 1) + 7 * HOUR
            for _ in range(sum(1 for _ in range(4) if rng.random() < 0.18)):
                t = rng.uniform(a, b)
                wk = 0 if t < lmid(tz, 7) + 10 * HOUR else 1
                w.page(w.oncall[team][wk], t)


def build_services(w, s):
    """(id, tenant, pattern, params). Patterns: cron, batch, poisson, ci, deployer."""
    rng, S = w.rng, []
    for r in ("eu", "us", "ap"):
        S.append((f"svc-healthcheck-{r}", "orbit-ops", "cron", dict(every=5 * MIN, seq="kubernetes.kubectl_get kubernetes.kubectl_get datadog.query_metrics")))
    S += [("svc-metrics-exporter", "orbit-ops", "cron", dict(every=MIN, seq="datadog.query_metrics datadog.query_metrics")),
          ("svc-alert-router", "orbit-ops", "poisson", dict(rate=200, tools="pagerduty.list_incidents 3 pagerduty.get_incident 2 slack.send_message 3")),
          ("svc-log-shipper", "orbit-ops", "cron", dict(every=5 * MIN, seq="aws.s3_list_objects aws.s3_get_object aws.s3_get_object", off=(2, 5))),
          ("svc-secrets-sync", "orbit-ops", "cron", dict(every=HOUR, at=30 * MIN, seq=" ".join(["vault.get_secret"] * 8))),
          ("svc-deployer", "orbit-ops", "deployer", dict(tools="kubernetes.kubectl_get 1")),
          ("svc-backup", "orbit-ops", "batch", dict(at=HOUR, minutes=25, tools="filesystem.list_directory 1 filesystem.read_file 6 aws.s3_list_objects 1")),
          ("etl-nightly", "orbit-data", "batch", dict(at=HOUR, minutes=45, tools="postgres.query 6 mysql.execute_sql 3 aws.s3_get_object 3 filesystem.write_file 2")),
          ("svc-billing-export", "orbit-data", "batch", dict(at=6 * HOUR, minutes=15, weekdays=True, tools="postgres.query 4 aws.s3_list_objects 1")),
          ("report-hourly", "orbit-data", "cron", dict(every=HOUR, at=2 * MIN, seq=" ".join(["postgres.query"] * 12 + ["gcp.query_bigquery"] * 6 + ["slack.send_message"]))),
          ("svc-inventory-sync", "orbit-data", "cron", dict(every=5 * MIN, seq="postgres.query " * 4, err=0.2)),
          ("svc-dq-checker", "orbit-data", "cron", dict(every=15 * MIN, seq="postgres.describe_table " * 4 + "postgres.query " * 12)),
          ("svc-ticket-triage", "orbit-support", "poisson", dict(rate=90, diurnal=True, tools="gitlab.list_issues 4 gitlab.create_issue 1 sentry.get_issue 2 slack.send_message 1")),
          ("svc-mail-ingest", "orbit-support", "cron", dict(every=2 * MIN, seq="gmail.search_emails gmail.read_email gmail.read_email", err=0.08))]
    ci = "github.get_file_contents 6 filesystem.list_directory 1 filesystem.read_file 3 filesystem.write_file 2 kubernetes.kubectl_get 1 github.push_files 0.2"
    for i in range(1, max(3, round(16 * s)) + 1):
        S.append((f"ci-runner-{i}", "orbit-ops", "ci", dict(tools=ci + (" vault.get_secret 0.5" if i <= 4 else ""))))
    S.append((f"ci-runner-{len([x for x in S if x[2] == 'ci']) + 1}", "orbit-ops", "ci", dict(tools=ci, start=T0 + 4 * DAY + 13 * HOUR)))
    for i in range(1, max(2, round(5 * s)) + 1):
        S.append((f"ci-runner-data-{i}", "orbit-data", "ci", dict(tools=ci)))
    allr = " ".join(f"{a}.{b} 1" for (a, b), v in CATALOG.items() if v[0] == "read" and a not in ("gmail",))
    onboard = T0 + 3 * DAY + 9 * HOUR + 12 * MIN
    S.append(("svc-catalog-indexer", "orbit-data", "poisson", dict(rate=330, tools=allr, start=onboard)))
    w.confusers.append(f"onboarding: new service account svc-catalog-indexer appears {fmt(onboard)} (day 4) and calls ~{len(allr.split()) // 2} read tools across all servers at ~330/h")
    w.confuser_actors.add("svc-catalog-indexer")
    return S


def diurnal(ts):          # global commit/ticket activity, weekday-weighted
    h = (ts % DAY) / HOUR
    f = 0.25 + 0.75 * max(0.0, math.sin(math.pi * (h - 6) / 16)) if 6 <= h <= 22 else 0.25
    return f * (0.3 if ((ts - T0) // DAY) % 7 >= 5 else 1.0)


CORE = {"svc-healthcheck-eu", "svc-deployer", "svc-backup", "etl-nightly", "svc-billing-export", "report-hourly",
        "svc-inventory-sync", "svc-dq-checker", "svc-catalog-indexer", "svc-alert-router", "svc-ticket-triage", "svc-mail-ingest"}


def run_services(w, S):
    rng = w.rng
    keep, rate_f = min(1.0, 0.2 + w.scale), min(1.0, 0.3 + 0.7 * w.scale)
    for sid_, tenant, pat, p in S:
        if sid_ not in CORE and not sid_.startswith("ci-") and rng.random() > keep:
            continue
        sv = Ident(len(w.ids), sid_, "service", tenant, sid_, "service")
        w.ids.append(sv)
        sv.pattern = pat
        sv.err, sv.deny, sv.sigma = p.get("err", rng.uniform(0.003, 0.012)), 0.001, rng.uniform(0.1, 0.2)
        sv.start = p.get("start", T0)
        if "off" in p:
            sv.off = [(T0 + p["off"][0] * DAY + 7 * HOUR, T0 + p["off"][1] * DAY + 7 * HOUR)]
            w.confusers.append(f"quiet: {sid_} silent {fmt(sv.off[0][0])} .. {fmt(sv.off[0][1])} then resumes")
        if "seq" in p:
            seq = [tuple(x.split(".")) for x in p["seq"].split()]
            sv.set_tools([(t, 1.0) for t in seq])
            fixed = [w.resource(sv, *t) for t in seq]
            ses = w.sid()
            k, t = 0, T0 + p.get("at", 0) + rng.randint(0, 59) * 1000
            while t < T_END:
                for j, tool in enumerate(seq):
                    var = k if "from" in CATALOG[tool][3] or CATALOG[tool][5] in FRESH else j
                    res = fixed[j] if CATALOG[tool][5] not in FRESH else None
                    w.call(sv, t + j * 180 + rng.randint(0, 60), tool, res=res, ses=ses, var=var)
                k += 1
                t += p["every"] + rng.randint(-400, 400)
            continue
        sv.set_tools(parse_tools(p["tools"]))
        if pat == "batch":
            for d in range(DAYS):
                if p.get("weekdays") and d % 7 >= 5:
                    continue
                minutes = p["minutes"] * (3 if sid_ == "etl-nightly" and d == 5 else 1)
                t = T0 + d * DAY + p["at"] + rng.randint(0, 90_000)
                end, ses, i = t + minutes * MIN, w.sid(), 0
                if minutes != p["minutes"]:
                    w.confusers.append(f"long batch: {sid_} nightly run {fmt(t)} lasts {minutes} min (3x usual)")
                    w.confuser_actors.add(sid_)
                while t < end:
                    tool = w.pick(sv)
                    w.resource(sv, *tool)
                    ws = sv.ws[(tool[0], CATALOG[tool][5])]
                    if len(ws) < 30 and CATALOG[tool][5] not in FRESH:        # batches sweep many objects
                        ws.extend(x for x in rng.sample(w.pools[(sv.team, tenant, tool[0], CATALOG[tool][5])], 30) if x not in ws)
                    w.call(sv, t, tool, res=ws[i % len(ws)], ses=ses, var=i % len(ws))
                    i += 1
                    t += rng.uniform(600, 2600)
        elif pat == "poisson":
            t, lam = max(T0, sv.start), p["rate"] * rate_f / HOUR
            while t < T_END:
                t += rng.expovariate(lam)
                if not p.get("diurnal") or rng.random() < diurnal(t):
                    w.call(sv, t, w.pick(sv), ses="s-" + sid_, var=rng.randrange(50))
        elif pat == "ci":
            t = max(T0, sv.start)
            while t < T_END:
                t += rng.expovariate(2.0 / HOUR)
                if rng.random() < diurnal(t):
                    ses, tt = w.sid(), t
                    for _ in range(rng.randint(8, 35)):
                        w.call(sv, tt, w.pick(sv), ses=ses, var=rng.randrange(20))
                        tt += rng.lognormvariate(7.3, 0.7)
        elif pat == "deployer":
            sv.set_tools([(("kubernetes", "kubectl_get"), 1), (("kubernetes", "scale_deployment"), 1), (("kubernetes", "kubectl_logs"), 1)])
            for d in range(DAYS):
                if d % 7 >= 5:
                    continue
                rate = 2.0 if d == 2 else 1.0
                t = T0 + d * DAY + 8 * HOUR
                while True:
                    t += rng.expovariate(rate / HOUR)
                    if t > T0 + d * DAY + 20 * HOUR:
                        break
                    ses, tt = w.sid(), t
                    for tool, lo, hi in ((sv.tools[0], 4, 12), (sv.tools[1], 1, 3), (sv.tools[2], 2, 8)):
                        for _ in range(rng.randint(lo, hi)):
                            w.call(sv, tt, tool, ses=ses, var=rng.randrange(10))
                            tt += rng.uniform(2000, 15000)


def apply_confusers(w, teams):
    rng, ops = w.rng, w.ids
    # 1. deploy day (day 3, Wed): kubectl usage doubles for ops humans (deployer already doubled)
    d0, d1, extra = T0 + 2 * DAY, T0 + 3 * DAY, []
    for e in list(w.ev):
        if d0 <= e[TS] < d1 and e[SRV] == "kubernetes" and ops[e[ACT]].tenant == "orbit-ops" and ops[e[ACT]].type == "user":
            extra.append((ops[e[ACT]], e[TS] + rng.randint(1000, 30000), (e[SRV], e[TOOL]), e[SES], e[AG]))
    for h, t, tool, ses, ag in extra:
        w.call(h, t, tool, ses=ses, ag=ag)
    w.confusers.append(f"deploy day: {fmt(d0)} .. {fmt(d1)} kubectl usage doubles for orbit-ops users and svc-deployer ({len(extra)} extra calls)")
    w.confuser_actors.add("svc-deployer")
    # 2. major incident night: sre-core on-call + half the team at ~3am local, 5x usual rate
    sre = teams["sre-core"]
    part = [w.oncall["sre-core"][0]] + [h for h in sre if h is not w.oncall["sre-core"][0] and rng.random() < 0.5]
    a = lmid(60, 5) + 2 * HOUR + 5 * MIN
    inc_tools = [t for t in parse_tools(ROLE_TOOLS["page"])]
    for h in part:
        tl = ([t for t, _ in inc_tools], list(itertools.accumulate(x for _, x in inc_tools)))
        s0 = a + rng.randint(0, 25) * MIN
        w.human_block(h, s0, a + 155 * MIN + rng.randint(-20, 20) * MIN, h.rate * 5, tools=tl)
        w.confuser_actors.add(h.id)
    w.confusers.append(f"major incident night: sre-core on-call {part[0].id} + {len(part) - 1} teammates ({', '.join(h.id for h in part[1:6])}...) busy {fmt(a)} .. ~{fmt(a + 155 * MIN)} (02:05-04:40 local) at 5x rate")
    # 3. rotations (already in the schedule)
    socA = [h.id for h in teams["soc"] if h.crew == 0]
    w.confusers.append(f"shift rotation: SOC crew A ({', '.join(socA[:4])}... {len(socA)} people) moves from day (07-19 +05:30) to night (19-07) from local day {fmt(lmid(330, 5))}; crew C moves to days")
    w.confusers.append(f"shift rotation: NOC crews rotate forward (day->evening->night->day) from local day {fmt(lmid(60, 4))}")
    w.confuser_actors.update(socA)
    # 4. dependency outage: orbit-data postgres down 40 min, errors + service retries
    o0 = T0 + 3 * DAY + 14 * HOUR + 10 * MIN
    o1, n, retries = o0 + 40 * MIN, 0, []
    for i, e in enumerate(w.ev):
        if o0 <= e[TS] < o1 and e[SRV] == "postgres" and ops[e[ACT]].tenant == "orbit-data":
            to = rng.random() < 0.25
            w.ev[i] = e[:ST] + ("timeout" if to else "tool_error", None if to else 120, e[AB], 30000.0 if to else 4.0, e[SES], e[AG], "Timeout" if to else "UpstreamUnavailable") + e[VAR:]
            n += 1
            if ops[e[ACT]].type == "service":
                retries.append(e)
    for e in retries:                       # services retry twice, failing again
        for k in (2000, 6000):
            w.call(ops[e[ACT]], e[TS] + k, (e[SRV], e[TOOL]), res=e[RES], ses=e[SES], var=e[VAR], status="tool_error")
    w.confusers.append(f"dependency outage: orbit-data postgres unavailable {fmt(o0)} .. {fmt(o1)} ({n} failed calls plus service retries)")
    for h in w.ids:
        if h.start > T0 and h.type == "user":
            w.confusers.append(f"new identity: {h.id} ({h.team}) first active after {fmt(h.start)}")
        if h.quiet:
            w.confusers.append(f"quiet: {h.id} ({h.team}) inactive on local days {sorted(h.quiet)}, returns afterwards")


# ---------------------------------------------------------------- incidents -----
class Stats:
    def __init__(self, w, h):
        self.idx = sorted(w.by_actor[h.idx], key=lambda i: w.ev[i][TS])
        evs = [w.ev[i] for i in self.idx]
        self.evs, self.tools = evs, Counter((e[SRV], e[TOOL]) for e in evs)
        self.res = {e[RES] for e in evs}
        loc = [e[TS] + h.tz * MIN - T0 for e in evs]
        self.hours = {(x // HOUR) % 24 for x in loc}
        self.dates = {x // DAY for x in loc}
        self.active_hours = max(1, len({e[TS] // HOUR for e in evs}))


def anchor(w, st, tool=None):
    c = [e[TS] for e in st.evs if T0 + 60 * HOUR <= e[TS] < T_END - 3 * HOUR and (tool is None or (e[SRV], e[TOOL]) == tool)]
    return w.rng.choice(c) if c else None


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def modify_or_fill(w, h, st, tool, t0, t1, min_n, k, change):
    """Apply `change` to the actor's own calls of `tool` in [t0, t1]; add calls at random times to reach min_n."""
    idx = [i for i in st.idx if t0 <= w.ev[i][TS] <= t1 and (w.ev[i][SRV], w.ev[i][TOOL]) == tool]
    n_fill = max(0 if h.type == "service" else 1, min_n - len(idx))
    ses = w.sid()
    for j in range(n_fill):          # spread over the window, the last one near its end
        t = t0 + (t1 - t0) * (j + 1) / n_fill - w.rng.uniform(0, 0.1) * (t1 - t0) / n_fill
        if w.call(h, t, tool, ses=ses, status="success", inc=k):
            idx.append(len(w.ev) - 1)
    out = []
    for i in idx:
        w.ev[i] = change(w.ev[i][:INC] + (k,))
        out.append(w.ev[i])
    return out


def inc_spike(w, h, st, k):
    rng = w.rng
    tool = st.tools.most_common(1)[0][0]
    t0 = anchor(w, st, tool)
    if t0 is None:
        return None
    if h.type == "service":
        usual = st.tools[tool] / st.active_hours
    else:
        hr = ((t0 + h.tz * MIN) // HOUR) % 24
        same = [e for e in st.evs if ((e[TS] + h.tz * MIN) // HOUR) % 24 == hr]
        usual = sum(1 for e in same if (e[SRV], e[TOOL]) == tool) / max(1, len({(e[TS] + h.tz * MIN) // DAY for e in same}))
    mult, dur = rng.uniform(5, 20), rng.uniform(10, 20) * MIN
    n = min(4000, max(20, round(mult * usual)))
    ses, ag = w.sid(), (rng.choice(h.agents) if h.agents else None)
    if h.type == "service":   # runaway loop: same call, machine-regular
        res = Counter(e[RES] for e in st.evs if (e[SRV], e[TOOL]) == tool).most_common(1)[0][0]
        times = [t0 + i * dur / n + rng.uniform(0, 150) for i in range(n)]
        evs = [w.call(h, t, tool, res=res, ses=ses, var=7, inc=k) for t in times]
    else:
        evs = [w.call(h, t, tool, ses=ses, ag=ag, inc=k) for t in sorted(rng.uniform(t0, t0 + dur) for _ in range(n))]
    return evs, tool, f"{tool[1]} x{n} in {dur / MIN:.0f} min, ~{mult:.1f}x usual {usual:.1f}/h" + (" (runaway loop)" if h.type == "service" else "")


def read_tools(st, fams=None, min_n=20):
    c = [(n, t) for t, n in st.tools.items() if CATALOG[t][0] == "read" and n >= min_n and (fams is None or CATALOG[t][5] in fams)]
    return [t for n, t in sorted(c, reverse=True)]


def inc_exfiltration(w, h, st, k):
    rng, tl = w.rng, read_tools(st)
    if not tl:
        return None
    tool = tl[0] if len(tl) == 1 or rng.random() < 0.6 else tl[1]
    med = median([e[RB] for e in st.evs if (e[SRV], e[TOOL]) == tool and e[ST] == "success"])
    t0 = anchor(w, st, tool)
    if t0 is None or not med:
        return None
    dur = rng.uniform(20, 60) * MIN
    lo, hi = rng.choice(((50, 90), (80, 150), (120, 200)))

    def change(e):
        rb = int(med * rng.uniform(lo, hi))
        return e[:ST] + ("success", rb, e[AB], round(e[DUR] + rb / 40_000, 1)) + e[SES:ETYPE] + (None,) + e[VAR:]
    evs = modify_or_fill(w, h, st, tool, t0, t0 + dur, 5, k, change)
    return evs, tool, f"{tool[1]} returns {lo}-{hi}x its usual {med} B for {dur / MIN:.0f} min ({len(evs)} calls)"


def inc_breadth(w, h, st, k):
    rng, tl = w.rng, read_tools(st, ENUMERABLE)
    if not tl:
        return None
    tool = tl[0]
    t0 = anchor(w, st, tool)
    if t0 is None:
        return None
    fam = CATALOG[tool][5]
    fresh = [r for r in w.universe(h.tenant, tool[0], fam) if r not in st.res]
    rng.shuffle(fresh)
    fresh += [f"{r.rstrip('/')}-{j}" for j in range(2, 9) for r in fresh[:50]]
    dur = rng.uniform(30, 90) * MIN
    it = iter(fresh)

    def change(e):
        r = next(it)
        return e[:RES] + (r,) + e[ST:VAR] + (zlib.crc32(r.encode()),) + e[INC:]
    evs = modify_or_fill(w, h, st, tool, t0, t0 + dur, 12, k, change)
    return evs, tool, f"{tool[1]} on {len(evs)} never-touched {fam} resources over {dur / MIN:.0f} min"


SENSITIVE = [("vault", "get_secret"), ("mysql", "execute_sql"), ("postgres", "query"), ("aws", "s3_get_object"), ("github", "get_file_contents"), ("gitlab", "get_file_contents")]
EXTERNAL = {("gmail", "send_email"): lambda r: f"mailto:{r.choice(FIRST)}{r.randint(10, 99)}@proton.me",
            ("fetch", "fetch_url"): lambda r: f"https://{r.choice(('paste.rs', 'transfer.sh', 'file.io'))}/{r.getrandbits(40):x}",
            ("fetch", "post_webhook"): lambda r: f"https://webhook.site/{uuid.UUID(int=r.getrandbits(128), version=4)}",
            ("slack", "send_message"): lambda r: f"slack://ext-{r.choice(WORDS)}-vendor/#shared-{r.getrandbits(16):x}"}


def inc_read_then_send(w, h, st, k):
    rng = w.rng
    t0 = anchor(w, st)
    if t0 is None:
        return None
    own = [t for t in SENSITIVE if t in st.tools]
    read = rng.choice(own) if own else rng.choice(SENSITIVE[:4])
    total = int(math.exp(rng.uniform(math.log(1e6), math.log(20e6))))
    parts = [total] if rng.random() < 0.6 else [total // 3, total - total // 3]
    ses, ag, t, evs = w.sid(), (rng.choice(h.agents) if h.agents else None), t0, []
    for p in parts:
        evs.append(w.call(h, t, read, ses=ses, ag=ag, status="success", rb=p, inc=k))
        t += rng.uniform(5000, 40000)
    send = rng.choice(list(EXTERNAL))
    gap = rng.uniform(2, 20) * MIN
    ab = int(total * rng.choice((rng.uniform(0.97, 1.05), rng.uniform(1.30, 1.38))))
    evs.append(w.call(h, evs[-1][TS] + gap, send, res=EXTERNAL[send](rng), ses=ses, ag=ag, status="success", ab=ab, inc=k))
    return evs, send, f"{read[1]} {total / 1e6:.1f} MB then {send[1]} ({ab / 1e6:.1f} MB args) to outside after {gap / MIN:.1f} min"


def inc_probing(w, h, st, k):
    rng = w.rng
    t0 = anchor(w, st)
    if t0 is None:
        return None
    servers = {s for s, _ in st.tools}
    cand = sorted(t for t in CATALOG if t not in st.tools and t not in h.tools)
    wts = [3 if t in PRIV else 2 if t[0] not in servers else 1 for t in cand]
    chosen, m = [], rng.randint(3, 8)
    while len(chosen) < m:
        t = rng.choices(cand, wts)[0]
        if t not in chosen:
            chosen.append(t)
    n, dur, ses = rng.randint(30, 60), rng.uniform(3, 8) * MIN, w.sid()
    evs = []
    for t in sorted(rng.uniform(t0, t0 + dur) for _ in range(n)):
        tool = rng.choice(chosen)
        res = rng.choice(w.universe(h.tenant, tool[0], CATALOG[tool][5]))
        evs.append(w.call(h, t, tool, res=res, ses=ses, status="denied", inc=k))
    return evs, None, f"{n} denied calls in {dur / MIN:.1f} min on {len(chosen)} unused tools ({', '.join(a + '.' + b for a, b in chosen[:4])})"


def inc_first_seen(w, h, st, k):
    rng = w.rng
    if any(t in PRIV for t in st.tools) or any(t in PRIV for t in h.tools):
        return None
    t0 = anchor(w, st)
    if t0 is None:
        return None
    tool = rng.choice(sorted(PRIV))
    evs, t = [], t0
    for _ in range(rng.randint(1, 3)):
        evs.append(w.call(h, t, tool, ses=w.sid(), status="success", inc=k))
        t += rng.uniform(5000, 240000)
    return evs, tool, f"first ever privileged call: {tool[0]}.{tool[1]} x{len(evs)}"


def inc_off_hours(w, h, st, k):
    rng = w.rng
    dur = rng.uniform(30, 60) * MIN
    if h.type == "service":
        if len(st.hours) > 6:
            return None
        free = [x for x in range(24) if not {x, (x + 1) % 24, (x - 1) % 24} & st.hours]
        d = rng.randint(3, DAYS - 1)
        a = T0 + d * DAY + rng.choice(free) * HOUR + rng.randint(0, 15) * MIN
        ses, evs, t, every = w.sid(), [], a, rng.uniform(40, 120) * 1000
        while t < a + dur:
            evs.append(w.call(h, t, w.pick(h), ses=ses, var=rng.randrange(30), inc=k))
            t += every + rng.uniform(-500, 500)
        return evs, None, f"new pattern: every {every / 1000:.0f}s at {fmt(a)[11:16]} UTC (never active within an hour of it) for {dur / MIN:.0f} min"
    night = {2, 3, 4} if h.cls in ("shift", "engineer") else {0, 1, 2, 3, 4}
    if night & st.hours:
        return None
    dates = [d for d in range(3, DAYS) if (d not in st.dates or h.cls != "shift")]
    if not dates:
        return None
    d = rng.choice(dates)
    a = lmid(h.tz, d) + (3 if h.cls != "support" else rng.choice((1, 2))) * HOUR + rng.randint(0, 15) * MIN
    for _ in range(10):
        evs = w.human_block(h, a, a + dur, h.rate, inc=k)
        if len(evs) >= 10:
            return evs, None, f"{len(evs)} calls at {fmt(a + h.tz * MIN)[11:16]} local (UTC{h.tz / 60:+g}) for {dur / MIN:.0f} min, never active then" + (" on a day off" if d not in st.dates else "")
        for e in evs:
            w.ev.remove(e)
    return None


KINDS = {"spike": inc_spike, "exfiltration": inc_exfiltration, "breadth": inc_breadth, "read_then_send": inc_read_then_send,
         "probing": inc_probing, "first_seen": inc_first_seen, "off_hours": inc_off_hours}
PLAN = {"off_hours": ["shift", "service", "support", "engineer"], "spike": ["service", "shift", "support", "engineer"], "exfiltration": ["shift", "service", "support", "engineer"],
        "breadth": ["service", "shift", "engineer", "support"], "read_then_send": ["shift", "support", "engineer", "service"],
        "probing": ["shift", "service", "support", "engineer"], "first_seen": ["shift", "service", "support", "engineer"]}


def plant_incidents(w):
    rng, labels, used = w.rng, [], set()
    w.by_actor = defaultdict(list)
    for i, e in enumerate(w.ev):
        w.by_actor[e[ACT]].append(i)
    k = 0
    for kind, classes in PLAN.items():
        for cls in classes:
            cands = [h for h in w.ids if h.cls == cls and not (kind == "spike" and getattr(h, "pattern", "") == "batch") and h.idx not in used and h.id not in w.confuser_actors
                     and h.start == T0 and not h.quiet and not h.off and len(w.by_actor[h.idx]) >= 150]
            rng.shuffle(cands)
            for h in cands[:60]:
                k += 1
                r = KINDS[kind](w, h, Stats(w, h), k)
                evs = [e for e in (r[0] if r else []) if e]
                if len(evs) == 0:
                    k -= 1
                    continue
                used.add(h.idx)
                ts = [e[TS] for e in evs]
                labels.append({"kind": kind, "actor": h.id, "tenant": h.tenant, "tool": f"{r[1][1]}" if r[1] else None, "server": r[1][0] if r[1] else None,
                               "start": fmt(min(ts)), "end": fmt(max(ts)), "_k": k,
                               "note": f"[{cls}] " + r[2] + f"; span {(max(ts) - min(ts)) / MIN:.1f} min"})
                break
            else:
                print(f"WARNING: no {cls} candidate for {kind}", file=sys.stderr)
    return labels


# ---------------------------------------------------------------- output -----
REQ_STATUS = {"success", "tool_error", "protocol_error", "denied", "timeout", "rate_limited", "approval_required", "cancelled", "unknown"}


def to_json(w, e, rng):
    h = w.ids[e[ACT]]
    gw, ver, insts = TENANTS[h.tenant]
    actor = {"id": h.id, "type": h.type}
    if e[AG]:
        actor["agent_id"] = e[AG]
    actor["client_name"] = e[AG] or h.client or "mcp-sdk-python"
    out = {"status": e[ST]}
    if e[RB] is not None:
        out["result_bytes"] = e[RB]
    if e[ETYPE]:
        out["error_type"] = e[ETYPE]
    d = {"schema": "mcp.audit/1", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event_kind": "tool_call", "phase": "final",
         "occurred_at": fmt(e[TS]), "duration_ms": e[DUR],
         "source": {"gateway": gw, "version": ver, "instance_id": insts[e[SEQ] % len(insts)]},
         "tenant_id": h.tenant, "actor": actor, "session": {"id": e[SES] or "s-none"},
         "target": {"server_id": e[SRV], "method": "tools/call", "tool": e[TOOL], "resource_uri": e[RES]},
         "request": {"args_sha256": hashlib.sha256(f"{e[SRV]}/{e[TOOL]}|{e[RES]}|{e[VAR]}".encode()).hexdigest(),
                     "arg_keys": list(CATALOG[(e[SRV], e[TOOL])][3]), "args_bytes": e[AB]},
         "outcome": out}
    if e[ST] == "denied":
        d["policy"] = {"decision": "deny", "policy_id": f"{h.tenant}-guardrails", "rule_id": ("tool-not-allowed", "resource-scope", "deny-prod-write")[e[VAR] % 3]}
        out["http_status"] = 403
    return d


def validate(d):
    errs = []
    for f in ("schema", "event_id", "event_kind", "occurred_at"):
        if not isinstance(d.get(f), str):
            errs.append(f)
    if d["schema"] != "mcp.audit/1" or not 1 <= len(d["event_id"]) <= 40 or d["event_kind"] != "tool_call":
        errs.append("values")
    if not isinstance(d["source"].get("gateway"), str) or not isinstance(d["actor"].get("id"), str):
        errs.append("source/actor")
    t = d["target"]
    if "server_id" not in t or not t.get("method") or not t.get("tool"):
        errs.append("target")
    if d["outcome"].get("status") not in REQ_STATUS or d["actor"].get("type") not in ("user", "agent", "service", "anonymous"):
        errs.append("enum")
    if len(d["request"]["args_sha256"]) != 64 or len(d["occurred_at"]) != 24 or not d["occurred_at"].endswith("Z"):
        errs.append("format")
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    t_start = time.time()
    w = World(a.seed, a.scale)
    w.oncall = {}
    teams = build_humans(w, a.scale)
    schedule_humans(w, teams)
    run_services(w, build_services(w, a.scale))
    apply_confusers(w, teams)
    labels = plant_incidents(w)
    w.ev.sort()
    os.makedirs(a.out, exist_ok=True)
    rng_id = random.Random(a.seed ^ 0x5EED)
    per_day, per_hour, bad, n_inc = Counter(), Counter(), 0, 0
    with open(os.path.join(a.out, "events.jsonl"), "w") as f:
        buf = []
        for n, e in enumerate(w.ev):
            d = to_json(w, e, rng_id)
            if n % 997 == 0 and validate(d):
                bad += 1
                print("INVALID", validate(d), d, file=sys.stderr)
            buf.append(json.dumps(d, separators=(",", ":")))
            per_day[(e[TS] - T0) // DAY] += 1
            per_hour[(e[TS] % DAY) // HOUR] += 1
            n_inc += e[INC] > 0
            if len(buf) >= 20000:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    counts = Counter(e[INC] for e in w.ev if e[INC])
    with open(os.path.join(a.out, "labels.jsonl"), "w") as f:
        for lb in labels:
            lb["note"] += f"; {counts[lb.pop('_k')]} events"
            lb.pop("server")
            f.write(json.dumps(lb) + "\n")
    active = {e[ACT] for e in w.ev}
    summary = {"model": "operations", "seed": a.seed, "scale": a.scale, "events": len(w.ev), "incident_events": n_inc,
               "members": len(active), "tenants": len(TENANTS), "days": DAYS, "start": fmt(T0), "end": fmt(T_END),
               "confusers": w.confusers}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    # ---- stats
    p = lambda *x: print(*x, file=sys.stderr)
    p(f"events={len(w.ev)} incident_events={n_inc} members={len(active)} labels={len(labels)} invalid_samples={bad} time={time.time() - t_start:.1f}s")
    p("per day (UTC):", " ".join(f"d{d}={per_day[d]}" for d in sorted(per_day)))
    peak = max(per_hour.values())
    for hr in range(24):
        p(f"  {hr:02d}h {per_hour[hr]:8d} " + "#" * int(50 * per_hour[hr] / peak))
    cls = Counter(w.ids[e[ACT]].cls for e in w.ev)
    st = Counter(e[ST] for e in w.ev)
    p("by class:", dict(cls), "\nby status:", {k: f"{v / len(w.ev):.2%}" for k, v in st.items()})
    for lb in labels:
        p(f"  {lb['kind']:15s} {lb['actor']:34s} {lb['start']} .. {lb['end'][11:]} {lb['tool'] or '-':22s} {lb['note']}")


if __name__ == "__main__":
    main()
