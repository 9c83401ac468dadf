import AuditDecoder
import AuditEvent
import Foundation

/// ContextForge writes a tool call only as log text (1.0.7): its tool
/// service logs `Invoking tool: NAME with arguments: dict_keys([...]) ...`
/// before the call (JSON log file), and `Tool 'NAME' invoked successfully`
/// or `Tool 'NAME' invocation failed` after it (its structured log table,
/// with the user and duration; the table's `context` column is JSON text).
/// The call is read out of the text into `contextforge.*` values; any other
/// line is not a call.
enum ContextForgeLog {
    static func prepare(_ record: inout GatewayRecord, parser: AuditEventDecoder) throws(AuditEventError) {
        if case .string(let context) = record.attributes["context"], context.first == "{" {
            // The table's context column: JSON held in a string.
            if let nested = try? parser.flatObject(Array(context.utf8)) {
                for (name, value) in nested.members {
                    if let value = JSONLineDecoder.recordValue(value) { record.attributes["context." + name] = value }
                }
            }
        }
        // Unless the text names a call below, the line is not one (a table
        // row may name a tool for other reasons: `Tool deactivated`).
        record.attributes["contextforge.kind"] = .string("other")
        guard case .string(let message) = record.attributes["message"] else { return }
        if message.hasPrefix("Invoking tool: ") {
            let rest = message.dropFirst("Invoking tool: ".count)
            let tool = rest.prefix { $0 != " " }
            guard !tool.isEmpty else { return }
            record.attributes["contextforge.kind"] = .string("tool_call")
            record.attributes["contextforge.phase"] = .string("request")
            record.attributes["contextforge.tool"] = .string(String(tool))
            if let keys = argumentKeys(rest) { record.attributes["contextforge.arg_keys"] = .strings(keys) }
            return
        }
        guard message.hasPrefix("Tool '") else { return }
        let quoted = message.dropFirst("Tool '".count)
        guard let close = quoted.firstIndex(of: "'") else { return }
        let tool = String(quoted[..<close])
        let verdict = quoted[quoted.index(after: close)...]
        let status: String
        if verdict == " invoked successfully" {
            status = "success"
        } else if verdict == " invocation failed" {
            status = "tool_error"
        } else {
            return
        }
        record.attributes["contextforge.kind"] = .string("tool_call")
        record.attributes["contextforge.phase"] = .string("final")
        record.attributes["contextforge.tool"] = .string(tool)
        record.attributes["contextforge.status"] = .string(status)
    }

    /// The names in `with arguments: dict_keys(['a', 'b']) and headers: ...`;
    /// nil when absent (`with arguments: None`).
    static func argumentKeys(_ text: Substring) -> [String]? {
        guard let arguments = text.firstRange(of: "with arguments: dict_keys([") else { return nil }
        let list = text[arguments.upperBound...].prefix { $0 != "]" }
        return list.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '\"")) }
            .filter { !$0.isEmpty }
    }
}
