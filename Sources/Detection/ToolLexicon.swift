/// Classifies a tool from its name and MCP server id, with no list of tool
/// names: both are split into lower-case words (dots, underscores, dashes,
/// slashes and camelCase all separate), and the words are looked up in small
/// vocabularies of verbs and nouns. The vocabularies were drawn from the tool
/// names of widely used MCP servers (the reference servers: filesystem, git,
/// github, postgres, sqlite, fetch, slack, puppeteer, memory; and common
/// vendor servers: AWS, Kubernetes, Google Workspace, Stripe, Notion, Linear,
/// Sentry, Vault), and from the OpenTelemetry and MCP specifications' own
/// examples. docs/detection.md lists them.
///
/// The rules, strongest first: an admin word anywhere makes an admin tool
/// (`iam.create_access_key`, `kubectl_exec`, `assume_role`); a send verb, or
/// a messaging or HTTP server with a writing verb, makes an external send
/// (`mail.send`, `slack.post_message`, `http.post`, `fetch_url` with a
/// body); a secret noun makes a sensitive read (`get_secret`); a reading
/// verb on a data server or a data noun makes a sensitive read
/// (`pg.run_query`, `s3.get_object`, `read_file`); other writing verbs make a
/// write; everything else is a read.
public enum ToolLexicon {
    /// Words of tools that change who may do what.
    static let admin: Set<String> = [
        "iam", "accesskey", "role", "roles", "policy", "policies", "permission", "permissions",
        "grant", "revoke", "sudo", "exec", "impersonate", "assume", "privilege", "privileges", "admin",
        "credential", "credentials", "token", "tokens", "serviceaccount", "rolebinding", "clusterrole",
    ]
    /// Word pairs that are admin only together (`create_user`, not `get_user`).
    static let adminVerbs: Set<String> = ["create", "add", "attach", "delete", "put", "update", "set", "rotate"]
    static let adminNouns: Set<String> = ["user", "users", "key", "keys", "member", "members", "group", "groups"]
    /// Servers whose every write is administrative.
    static let adminServers: Set<String> = ["iam", "okta", "auth0", "entra", "keycloak", "ldap"]

    static let sendVerbs: Set<String> = [
        "send", "post", "email", "mail", "publish", "tweet", "notify", "share", "upload", "forward", "reply",
        "navigate", "webhook", "dm", "message", "sms", "submit",
    ]
    /// Servers that reach outside the organisation.
    static let sendServers: Set<String> = [
        "mail", "gmail", "smtp", "outlook", "sendgrid", "twilio", "slack", "teams", "discord", "telegram",
        "http", "https", "fetch", "webhook", "webhooks", "puppeteer", "playwright", "browser", "browserbase",
        "twitter", "x", "whatsapp", "zapier",
    ]

    static let secretNouns: Set<String> = [
        "secret", "secrets", "password", "passwords", "vault", "kms", "keyvault", "ssm", "env", "dotenv",
        "apikey", "private",
    ]
    static let dataServers: Set<String> = [
        "pg", "postgres", "postgresql", "mysql", "sqlite", "mssql", "oracle", "db", "database", "snowflake",
        "bigquery", "redshift", "clickhouse", "mongo", "mongodb", "redis", "dynamodb", "s3", "gcs", "blob",
        "drive", "gdrive", "dropbox", "box", "onedrive", "sharepoint", "fs", "filesystem", "files", "git",
        "github", "gitlab", "bitbucket", "confluence", "notion", "docs", "salesforce", "hubspot", "stripe",
        "supabase", "vault", "mail", "gmail", "crm", "hr", "workday",
    ]
    static let dataNouns: Set<String> = [
        "query", "sql", "table", "tables", "rows", "record", "records", "file", "files", "object", "objects",
        "document", "documents", "dump", "export", "backup", "snapshot", "customer", "customers", "invoice",
        "invoices", "payment", "payments", "contacts", "employees", "database", "bucket", "contents", "channel",
        "history", "inbox", "messages", "emails", "repo", "repository",
    ]
    static let readVerbs: Set<String> = [
        "get", "read", "list", "search", "find", "query", "select", "describe", "fetch", "download", "export",
        "dump", "show", "view", "lookup", "retrieve", "scan", "run", "execute", "cat", "open", "load", "pull",
        "history", "log", "logs", "diff", "status", "tree",
    ]
    static let writeVerbs: Set<String> = [
        "create", "update", "write", "edit", "delete", "remove", "put", "push", "commit", "merge", "deploy",
        "scale", "set", "insert", "patch", "apply", "rename", "move", "copy", "close", "assign", "refund",
        "charge", "cancel", "restart", "rollback", "acknowledge", "resolve", "add", "modify", "drop", "truncate",
        "transfer", "pay",
    ]

    /// The class of `tool` on `server` (nil when the server is unknown).
    public static func classify(tool: String, server: String?) -> ToolClass {
        // A dotted name's first part is a namespace, read like a server id
        // (`mail.search` searches mail; it sends nothing).
        let (words, serverWords) = split(tool: tool, server: server)
        let all = Set(words).union(serverWords)
        if !all.isDisjoint(with: admin) || (!all.isDisjoint(with: adminVerbs) && !all.isDisjoint(with: adminNouns)) {
            return .admin
        }
        if !Set(serverWords).isDisjoint(with: adminServers) && !all.isDisjoint(with: writeVerbs) { return .admin }
        let sendServer = !all.isDisjoint(with: sendServers)
        if !Set(words).isDisjoint(with: sendVerbs) && !words.contains(where: readVerbs.contains)
            || sendServer && !Set(words).isDisjoint(with: sendVerbs.union(writeVerbs))
        {
            return .externalSend
        }
        if !all.isDisjoint(with: secretNouns) { return .sensitiveRead }
        let writes = !Set(words).isDisjoint(with: writeVerbs)
        if writes { return .write }
        if !all.isDisjoint(with: dataServers) || !all.isDisjoint(with: dataNouns) { return .sensitiveRead }
        return .read
    }

    /// Whether a call of this tool can carry data outside even when its
    /// name reads (`fetch`, `http.get` with a query, a browser's `navigate`):
    /// read-then-send then judges it by the bytes it sends.
    public static func reachesOutside(tool: String, server: String?) -> Bool {
        let all = Set(words(tool)).union(server.map(words) ?? [])
        return !all.isDisjoint(with: sendServers) && all.isDisjoint(with: ["mail", "gmail", "outlook", "slack"])
            || classify(tool: tool, server: server) == .externalSend
    }

    /// Servers whose writes stay on the caller's side.
    static let localServers: Set<String> = ["fs", "filesystem", "files", "git", "memory", "sqlite", "editor", "local"]
    /// Verbs and nouns whose first use is news by itself.
    static let highImpactWords: Set<String> = [
        "refund", "refunds", "payout", "payouts", "transfer", "pay", "charge", "deploy", "drop", "truncate",
        "secret", "secrets", "vault", "migration", "migrate", "destroy", "terminate", "wipe",
    ]

    public static func isLocal(tool: String, server: String?) -> Bool {
        let (words, serverWords) = split(tool: tool, server: server)
        return !Set(serverWords).isDisjoint(with: localServers) || words.first.map(localServers.contains) == true
    }

    public static func isHighImpact(tool: String, server: String?) -> Bool {
        !Set(split(tool: tool, server: server).words).isDisjoint(with: highImpactWords)
    }

    /// A tool's own words and its namespace's (a dotted name's first part, and the server id).
    static func split(tool: String, server: String?) -> (words: [String], serverWords: [String]) {
        var name = Substring(tool)
        var serverWords = server.map(Self.words) ?? []
        if let dot = tool.firstIndex(of: "."), dot != tool.startIndex {
            serverWords += Self.words(String(tool[..<dot]))
            name = tool[tool.index(after: dot)...]
        }
        return (Self.words(String(name)), serverWords)
    }

    /// Lower-case words of a name: `pg.run_query` is [pg, run, query],
    /// `getFileContents` is [get, file, contents].
    static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for character in name {
            if character.isLetter || character.isNumber {
                if character.isUppercase && previousLower && !current.isEmpty {
                    words.append(current)
                    current = ""
                }
                current.append(Character(character.lowercased()))
                previousLower = character.isLowercase || character.isNumber
            } else {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousLower = false
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
