/// An independent CEF parser written from the spec's grammar (not from the
/// encoder): seven unescaped `|`-separated header fields, then `key=value`
/// pairs where a key is [A-Za-z0-9]+ preceded by a space (or the start) and
/// followed by an unescaped `=`; a value runs to the next such key.
struct ParsedCEF: Equatable {
    var header: [String]
    var extensions: [(String, String)]

    static func == (a: ParsedCEF, b: ParsedCEF) -> Bool {
        a.header == b.header && a.extensions.map(\.0) == b.extensions.map(\.0)
            && a.extensions.map(\.1) == b.extensions.map(\.1)
    }
}

enum CEFParseError: Error { case notCEF, badHeader, badExtension }

func parseCEF(_ text: String) throws -> ParsedCEF {
    let chars = Array(text)
    guard text.hasPrefix("CEF:") else { throw CEFParseError.notCEF }
    var header: [String] = []
    var current = ""
    var index = 4
    while header.count < 7 {
        guard index < chars.count else { throw CEFParseError.badHeader }
        let c = chars[index]
        if c == "\\", index + 1 < chars.count, chars[index + 1] == "\\" || chars[index + 1] == "|" {
            current.append(chars[index + 1])
            index += 2
            continue
        }
        if c == "|" {
            header.append(current)
            current = ""
        } else {
            if c == "\r" || c == "\n" { throw CEFParseError.badHeader }
            current.append(c)
        }
        index += 1
    }
    // Extension: find unescaped '=' signs preceded by a key.
    let rest = Array(chars[index...])
    var pairs: [(String, String)] = []
    var keyStarts: [(keyStart: Int, equals: Int)] = []
    var i = 0
    while i < rest.count {
        if rest[i] == "\\" {
            i += 2
            continue
        }
        if rest[i] == "=" {
            var k = i - 1
            while k >= 0, rest[k].isASCII, rest[k].isLetter || rest[k].isNumber { k -= 1 }
            let keyStart = k + 1
            guard keyStart < i, k < 0 || rest[k] == " " else { throw CEFParseError.badExtension }
            keyStarts.append((keyStart, i))
        }
        i += 1
    }
    for (n, start) in keyStarts.enumerated() {
        let key = String(rest[start.keyStart..<start.equals])
        let valueEnd = n + 1 < keyStarts.count ? keyStarts[n + 1].keyStart - 1 : rest.count
        var raw = Array(rest[(start.equals + 1)..<max(start.equals + 1, valueEnd)])
        if n + 1 == keyStarts.count { while raw.last == " " { raw.removeLast() } }
        var value = ""
        var j = 0
        while j < raw.count {
            if raw[j] == "\\", j + 1 < raw.count {
                switch raw[j + 1] {
                case "\\": value.append("\\")
                case "=": value.append("=")
                case "n": value.append("\n")
                case "r": value.append("\r")
                default: throw CEFParseError.badExtension
                }
                j += 2
            } else {
                if raw[j] == "\r" || raw[j] == "\n" { throw CEFParseError.badExtension }
                value.append(raw[j])
                j += 1
            }
        }
        pairs.append((key, value))
    }
    return ParsedCEF(header: header, extensions: pairs)
}
