/// How log records are written: `text` for people reading a terminal or
/// journald, `json` for collectors (Loki, Elastic, Vector) that parse fields.
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json
}
