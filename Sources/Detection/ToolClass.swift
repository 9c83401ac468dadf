/// What a tool does, as far as detection cares: read-then-send needs to know
/// which reads are sensitive and which calls send data outside, first use
/// weighs an admin tool above a new read tool. Real deployments expose
/// hundreds of tools, so the class comes from the tool's name and server
/// (``ToolLexicon``), then from MCP annotations when an event carries them;
/// the pipeline file can set any tool's class by name.
public enum ToolClass: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Returns data of no particular sensitivity (listing, searching, status).
    case read
    /// Returns data worth stealing: databases, secrets, files, object stores, mail, documents.
    case sensitiveRead = "sensitive_read"
    /// Changes something inside the organisation (files, issues, deployments).
    case write
    /// Sends data outside: mail, chat, HTTP, webhooks, browsers.
    case externalSend = "external_send"
    /// Changes who may do what: keys, users, roles, policies, shells in production.
    case admin

    /// Order of concern, for keeping the strongest of several signals.
    var rank: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .sensitiveRead: 2
        case .externalSend: 3
        case .admin: 4
        }
    }

    public static func < (a: ToolClass, b: ToolClass) -> Bool { a.rank < b.rank }
}
