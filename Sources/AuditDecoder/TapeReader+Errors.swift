import AuditEvent
import CSimdjson

extension TapeReader {
    func missing(_ field: StaticString) -> AuditEventError {
        AuditEventError(.missingField, field: "\(field)", reason: "required by mcp.audit/1")
    }

    func wrongType(_ field: StaticString, expected: String) -> AuditEventError {
        AuditEventError(.wrongType, field: "\(field)", reason: "expected \(expected)")
    }

    func invalid(_ field: StaticString, _ reason: String) -> AuditEventError {
        AuditEventError(.invalidValue, field: "\(field)", reason: reason)
    }

    /// A member repeated in one object; `value` is the tape index of the repeat's value.
    func duplicate(_ value: Int) -> AuditEventError {
        AuditEventError(
            .duplicateKey,
            field: path(of: value),
            reason: String(cString: csj_status_message(CSJ_DUPLICATE_KEY))
        )
    }

    /// The error for a failed `csj_parse`.
    static func parseError(_ status: Int32) -> AuditEventError {
        let reason = String(cString: csj_status_message(status))
        switch status {
        case CSJ_EMPTY: return AuditEventError(.invalidJSON, reason: reason)
        case CSJ_TRUNCATED: return AuditEventError(.truncated, reason: reason)
        case CSJ_INVALID_UTF8: return AuditEventError(.invalidUTF8, reason: reason)
        case CSJ_CONTROL_CHARACTER: return AuditEventError(.controlCharacter, reason: reason)
        case CSJ_INVALID_NUMBER, CSJ_NUMBER_OUT_OF_RANGE: return AuditEventError(.numberOutOfRange, reason: reason)
        case CSJ_TOO_DEEP: return AuditEventError(.tooDeep, reason: reason)
        case CSJ_TOO_LARGE: return AuditEventError(.messageTooLarge, reason: reason)
        case CSJ_TOO_MANY_VALUES: return AuditEventError(.tooManyValues, reason: reason)
        case CSJ_OUT_OF_MEMORY, CSJ_INTERNAL: return AuditEventError(.internalError, reason: reason)
        default: return AuditEventError(.invalidJSON, reason: reason)
        }
    }

    /// Dotted path from the root to the value at `target`. Only member names
    /// of the contract print; any other key prints as `?`, because a key is
    /// sender-chosen text and errors must not carry payloads into logs.
    func path(of target: Int) -> String {
        var parts: [String] = []
        var container = 1
        search: while container != target {
            let end = closing(container)
            let isObject = tag(container) == Tag.object
            var child = container + 1
            while child < end {
                let value = isObject ? child + 1 : child
                let next = after(value)
                if target >= value && target < next {
                    if isObject {
                        let name = String(decoding: bytes(child), as: UTF8.self)
                        parts.append(contractMemberNames.contains(name) ? name : "?")
                    } else {
                        parts.append("[]")
                    }
                    container = value
                    continue search
                }
                child = next
            }
            break
        }
        return parts.isEmpty ? "(root)" : parts.joined(separator: ".")
    }
}
