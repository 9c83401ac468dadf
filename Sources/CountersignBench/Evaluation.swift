import Foundation

/// `make eval`: generated scenarios with planted incidents run through
/// `countersign detect`, alerts matched against the ground-truth labels.
///
/// An alert matches an incident when it falls between one minute before the
/// incident starts and fifteen minutes after it ends, and names the incident's
/// member (member and member x tool alerts), its tool (tool alerts) or its
/// tenant (tenant alerts). Per detector, recall counts incidents of the
/// detector's own kind that it caught; precision counts its alerts that match
/// any incident (a spike alert during an exfiltration is a true alarm).
struct Evaluation {
    var countersign: String
    var seeds: [UInt64] = [11, 22, 33, 44]
    var events = 300_000
    var incidents = 14
    var spacingMilliseconds = 900
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-eval").path

    struct Label {
        var kind: String
        var actor: String
        var tenant: String?
        var tool: String?
        var start: Date
        var end: Date
    }

    struct Found {
        var detector: String
        var scope: String
        var member: String?
        var tool: String?
        var tenant: String?
        var at: Date
    }

    static let detectorOfKind = [
        "spike": "spike", "exfiltration": "exfiltration", "breadth": "breadth", "read_then_send": "read_then_send",
        "probing": "probing", "first_seen": "first_seen", "off_hours": "off_hours",
    ]

    func run() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var labels: [Label] = []
        var alerts: [Found] = []
        var background = 0
        for seed in seeds {
            let events = "\(directory)/events-\(seed).jsonl"
            let labelFile = "\(directory)/labels-\(seed).jsonl"
            let alertFile = "\(directory)/alerts-\(seed).jsonl"
            try execute([
                "generate", "--count", "\(self.events)", "--seed", "\(seed)", "--spacing-ms", "\(spacingMilliseconds)",
                "--incidents", "\(incidents)", "--labels", labelFile, "-o", events,
            ])
            try execute(["detect", "--input", events, "--output", alertFile, "--quiet"])
            let seedLabels = try readLabels(labelFile)
            let seedAlerts = try readAlerts(alertFile)
            report(
                "eval: seed \(seed): \(self.events) background events, \(seedLabels.count) incidents, \(seedAlerts.count) alerts"
            )
            labels += seedLabels.map {
                var l = $0
                l.actor = "\(seed)/\(l.actor)"
                l.tenant = l.tenant.map { "\(seed)/\($0)" }
                return l
            }
            alerts += seedAlerts.map {
                var a = $0
                a.member = a.member.map { "\(seed)/\($0)" }
                a.tenant = a.tenant.map { "\(seed)/\($0)" }
                a.tool = a.tool.map { "\(seed)/\($0)" }
                return a
            }
            background += self.events
            for file in [events, alertFile, labelFile] { try? FileManager.default.removeItem(atPath: file) }
        }
        summarise(labels: labels, alerts: alerts, background: background)
    }

    func matches(_ alert: Found, _ label: Label) -> Bool {
        guard alert.at >= label.start.addingTimeInterval(-60), alert.at <= label.end.addingTimeInterval(900) else {
            return false
        }
        switch alert.scope {
        case "member", "member_tool": return alert.member == label.actor
        case "tool":
            // Tool names are prefixed with the seed like members, so compare against the label's.
            guard let tool = label.tool, let seed = label.actor.split(separator: "/").first else { return false }
            return alert.tool == "\(seed)/\(tool)"
        case "tenant": return alert.tenant == label.tenant
        default: return false
        }
    }

    func summarise(labels: [Label], alerts: [Found], background: Int) {
        func f1(_ p: Double, _ r: Double) -> Double { p + r == 0 ? 0 : 2 * p * r / (p + r) }
        func format(_ value: Double) -> String { String(format: "%.3f", value) }
        report("")
        report("detector        incidents  caught  recall  alerts  true  precision  F1")
        var rows: [(String, Int, Int, Int, Int)] = []
        for detector in ["spike", "exfiltration", "breadth", "read_then_send", "probing", "first_seen", "off_hours"] {
            let kind = Self.detectorOfKind.first { $0.value == detector }!.key
            let own = labels.filter { $0.kind == kind }
            let mine = alerts.filter { $0.detector == detector }
            let caught = own.filter { label in mine.contains { matches($0, label) } }.count
            let truePositives = mine.filter { alert in labels.contains { matches(alert, $0) } }.count
            rows.append((detector, own.count, caught, mine.count, truePositives))
        }
        for (detector, incidents, caught, count, truePositives) in rows {
            let recall = incidents == 0 ? 0 : Double(caught) / Double(incidents)
            let precision = count == 0 ? 0 : Double(truePositives) / Double(count)
            report(
                detector.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + "\(incidents)".padding(toLength: 11, withPad: " ", startingAt: 0)
                    + "\(caught)".padding(toLength: 8, withPad: " ", startingAt: 0)
                    + format(recall).padding(toLength: 8, withPad: " ", startingAt: 0)
                    + "\(count)".padding(toLength: 8, withPad: " ", startingAt: 0)
                    + "\(truePositives)".padding(toLength: 6, withPad: " ", startingAt: 0)
                    + format(precision).padding(toLength: 11, withPad: " ", startingAt: 0)
                    + format(f1(precision, recall))
            )
        }
        let caught = labels.filter { label in alerts.contains { matches($0, label) } }.count
        let truePositives = alerts.filter { alert in labels.contains { matches(alert, $0) } }.count
        let recall = Double(caught) / Double(max(labels.count, 1))
        let precision = Double(truePositives) / Double(max(alerts.count, 1))
        let falseAlerts = alerts.count - truePositives
        let perMillion = Double(falseAlerts) / (Double(background) / 1_000_000)
        report("")
        report("overall: \(labels.count) incidents, \(caught) caught, recall \(format(recall))")
        report(
            "overall: \(alerts.count) alerts, \(truePositives) true, precision \(format(precision)), F1 \(format(f1(precision, recall)))"
        )
        report(
            "overall: \(falseAlerts) false alerts in \(background) benign events = \(format(perMillion)) per million"
        )
        for label in labels where !alerts.contains(where: { matches($0, label) }) {
            report("missed: \(label.kind) \(label.actor) at \(label.start)")
        }
        for label in labels where alerts.contains(where: { matches($0, label) }) {
            let own = Self.detectorOfKind[label.kind]
            if !alerts.contains(where: { $0.detector == own && matches($0, label) }) {
                report("caught by another detector only: \(label.kind) \(label.actor) at \(label.start)")
            }
        }
        for alert in alerts where !labels.contains(where: { matches(alert, $0) }) {
            report(
                "false: \(alert.detector) \(alert.scope) \(alert.member ?? alert.tool ?? alert.tenant ?? "") at \(alert.at)"
            )
        }
    }

    private func execute(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: countersign)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EvaluationError(
                description: "countersign \(arguments.first ?? "") exited \(process.terminationStatus)"
            )
        }
    }

    struct EvaluationError: Error, CustomStringConvertible { var description: String }

    private func lines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    nonisolated(unsafe) private static let time: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    private func readLabels(_ path: String) throws -> [Label] {
        try lines(path).compactMap { object in
            guard let kind = object["kind"] as? String, let actor = object["actor"] as? String,
                let start = (object["start"] as? String).flatMap(Self.time.date(from:)),
                let end = (object["end"] as? String).flatMap(Self.time.date(from:))
            else { return nil }
            return Label(
                kind: kind,
                actor: actor,
                tenant: object["tenant"] as? String,
                tool: object["tool"] as? String,
                start: start,
                end: end
            )
        }
    }

    private func readAlerts(_ path: String) throws -> [Found] {
        try lines(path).compactMap { object in
            guard let detection = object["detection"] as? [String: Any],
                let detector = detection["detector"] as? String, let scope = detection["scope"] as? String,
                let at = (object["occurred_at"] as? String).flatMap(Self.time.date(from:))
            else { return nil }
            let actor = (object["actor"] as? [String: Any])?["id"] as? String
            let tool = (object["target"] as? [String: Any])?["tool"] as? String
            return Found(
                detector: detector,
                scope: scope,
                member: scope == "member" || scope == "member_tool" ? actor : nil,
                tool: tool,
                tenant: object["tenant_id"] as? String,
                at: at
            )
        }
    }
}
