import Testing

@testable import Detection

/// Tool classes from names alone, across naming styles: dotted namespaces,
/// underscored verbs, camelCase, server ids.
@Suite("Tool lexicon")
struct ToolLexiconTests {
    @Test(
        "names in several styles get the class a security analyst would give them",
        arguments: [
            ("iam.create_access_key", nil, ToolClass.admin),
            ("kubectl_exec", "kubernetes", .admin),
            ("k8s.exec", nil, .admin),
            ("assume_role", "aws", .admin),
            ("iam_create_user", "aws", .admin),
            ("mail.send", nil, .externalSend),
            ("slack.post_message", nil, .externalSend),
            ("send_email", "gmail", .externalSend),
            ("http.post", nil, .externalSend),
            ("puppeteer_navigate", "puppeteer", .externalSend),
            ("post_webhook", nil, .externalSend),
            ("pg.run_query", nil, .sensitiveRead),
            ("execute_sql", "postgres", .sensitiveRead),
            ("s3.get_object", nil, .sensitiveRead),
            ("get_secret", "vault", .sensitiveRead),
            ("getFileContents", "github", .sensitiveRead),
            ("drive.export_document", nil, .sensitiveRead),
            ("mail.search", nil, .sensitiveRead),
            ("fs.write_file", nil, .write),
            ("jira.create_issue", nil, .write),
            ("scale_deployment", "kubernetes", .write),
            ("k8s.get_pods", nil, .read),
            ("brave_web_search", "brave-search", .read),
            ("list_issues", nil, .read),
        ] as [(String, String?, ToolClass)]
    )
    func classes(tool: String, server: String?, expected: ToolClass) {
        #expect(ToolLexicon.classify(tool: tool, server: server) == expected)
    }

    @Test("fetch and browser tools can carry data out even when their names read")
    func outbound() {
        #expect(ToolLexicon.reachesOutside(tool: "fetch", server: "fetch"))
        #expect(ToolLexicon.reachesOutside(tool: "http.get", server: nil))
        #expect(ToolLexicon.reachesOutside(tool: "fetch_url", server: nil))
        #expect(!ToolLexicon.reachesOutside(tool: "fs.read_file", server: nil))
        #expect(!ToolLexicon.reachesOutside(tool: "slack.read_channel", server: nil))
    }

    @Test("words split on dots, underscores, dashes, slashes and camelCase")
    func words() {
        #expect(ToolLexicon.words("pg.run_query") == ["pg", "run", "query"])
        #expect(ToolLexicon.words("getFileContents") == ["get", "file", "contents"])
        #expect(ToolLexicon.words("brave-search/web_search") == ["brave", "search", "web", "search"])
    }

    @Test("the pipeline file's classes and lists come before the lexicon")
    func overrides() {
        var settings = DetectionSettings()
        settings.toolClasses["report.render"] = .externalSend
        settings.readThenSend.sensitiveTools = ["crm.lookup"]
        #expect(settings.toolClass("report.render", server: nil) == .externalSend)
        #expect(settings.toolClass("crm.lookup", server: nil) == .sensitiveRead)
        #expect(settings.toolClass("k8s.get_pods", server: nil) == .read)
    }
}
