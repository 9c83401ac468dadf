/// A tool an MCP server exposes, with the traits that shape its traffic.
public struct ToolProfile: Sendable, Hashable {
    public var server: String
    public var tool: String
    public var method: String
    /// Relative call frequency across the population.
    public var weight: Double
    /// Typical result size in bytes (log-normal median).
    public var medianResultBytes: Double
    /// Share of calls that end in a tool error.
    public var errorRate: Double
    public var argKeys: [String]

    public init(
        server: String,
        tool: String,
        method: String = "tools/call",
        weight: Double,
        medianResultBytes: Double,
        errorRate: Double,
        argKeys: [String]
    ) {
        self.server = server
        self.tool = tool
        self.method = method
        self.weight = weight
        self.medianResultBytes = medianResultBytes
        self.errorRate = errorRate
        self.argKeys = argKeys
    }

    /// Tools seen behind real MCP gateways: code hosting, chat, databases, files, search.
    public static let standard: [ToolProfile] = [
        ToolProfile(
            server: "github",
            tool: "create_issue",
            weight: 3,
            medianResultBytes: 2_300,
            errorRate: 0.02,
            argKeys: ["repo", "title", "body"]
        ),
        ToolProfile(
            server: "github",
            tool: "get_file_contents",
            weight: 12,
            medianResultBytes: 6_000,
            errorRate: 0.03,
            argKeys: ["repo", "path", "ref"]
        ),
        ToolProfile(
            server: "github",
            tool: "search_code",
            weight: 6,
            medianResultBytes: 9_000,
            errorRate: 0.01,
            argKeys: ["query"]
        ),
        ToolProfile(
            server: "slack",
            tool: "post_message",
            weight: 5,
            medianResultBytes: 400,
            errorRate: 0.01,
            argKeys: ["channel", "text"]
        ),
        ToolProfile(
            server: "slack",
            tool: "read_channel",
            weight: 4,
            medianResultBytes: 12_000,
            errorRate: 0.01,
            argKeys: ["channel", "limit"]
        ),
        ToolProfile(
            server: "postgres",
            tool: "run_query",
            weight: 8,
            medianResultBytes: 15_000,
            errorRate: 0.05,
            argKeys: ["sql"]
        ),
        ToolProfile(
            server: "filesystem",
            tool: "read_file",
            weight: 10,
            medianResultBytes: 4_000,
            errorRate: 0.02,
            argKeys: ["path"]
        ),
        ToolProfile(
            server: "filesystem",
            tool: "write_file",
            weight: 3,
            medianResultBytes: 120,
            errorRate: 0.02,
            argKeys: ["path", "content"]
        ),
        ToolProfile(
            server: "jira",
            tool: "search_issues",
            weight: 4,
            medianResultBytes: 7_500,
            errorRate: 0.02,
            argKeys: ["jql", "max_results"]
        ),
        ToolProfile(
            server: "web",
            tool: "fetch_url",
            weight: 6,
            medianResultBytes: 20_000,
            errorRate: 0.06,
            argKeys: ["url"]
        ),
        ToolProfile(
            server: "email",
            tool: "send_email",
            weight: 1,
            medianResultBytes: 200,
            errorRate: 0.01,
            argKeys: ["to", "subject", "body"]
        ),
        ToolProfile(
            server: "drive",
            tool: "export_document",
            weight: 1,
            medianResultBytes: 40_000,
            errorRate: 0.02,
            argKeys: ["document_id", "format"]
        ),
    ]
}
