import AuditEvent
import SIEM
import Testing

@Suite("Syslog framing")
struct SyslogTests {
    let time = Timestamp(microsecondsSinceEpoch: 1_787_220_902_481_000)  // 2026-08-20T10:15:02.481Z

    @Test("RFC 5424: PRI from facility and severity, fields, structured data escaped, BOM before the CEF")
    func rfc5424() {
        var format = SyslogFormat()
        format.hostname = "worker-1"
        let bytes = format.message(
            cef: "CEF:0|a|b|c|d|e|9|x=y",
            severity: 9,
            time: time,
            msgID: "detection:spike",
            structured: [("tenant", "ac\"me]\\"), ("detector", "spike")]
        )
        let expected =
            Array(
                #"<106>1 2026-08-20T10:15:02.481Z worker-1 countersign - detection:spike [countersign@32473 tenant="ac\"me\]\\" detector="spike"] "#
                    .utf8
            ) + [0xEF, 0xBB, 0xBF] + Array("CEF:0|a|b|c|d|e|9|x=y".utf8)
        #expect(bytes == expected)
        format.byteOrderMark = false
        let plain = format.message(cef: "CEF:x", severity: 0, time: time, msgID: "m", structured: [])
        #expect(
            String(decoding: plain, as: UTF8.self) == "<110>1 2026-08-20T10:15:02.481Z worker-1 countersign - m - CEF:x"
        )
    }

    @Test("RFC 3164: <PRI>Mmm dd hh:mm:ss HOST TAG: MSG")
    func rfc3164() {
        var format = SyslogFormat()
        format.standard = .rfc3164
        format.facility = 4
        format.hostname = "worker-1"
        let text = String(
            decoding: format.message(cef: "CEF:x", severity: 5, time: time, msgID: "m", structured: []),
            as: UTF8.self
        )
        // Facility 4 (security) x 8 + severity 4 (CEF 5 is a warning).
        #expect(text == "<36>Aug 20 10:15:02 worker-1 countersign: CEF:x")
    }

    @Test("RFC 6587 octet counting counts bytes, BOM and multibyte characters included")
    func octets() {
        let message: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("é".utf8)
        #expect(SyslogFormat.octetCounted(message) == Array("5 ".utf8) + message)
        #expect(SyslogFormat.lineFramed(Array("x".utf8)) == Array("x\n".utf8))
    }

    @Test("header fields keep printable ASCII only, within their limits; empty becomes -")
    func fields() {
        var format = SyslogFormat()
        format.hostname = "bad host\n"
        format.appName = String(repeating: "a", count: 60)
        let text = String(
            decoding: format.message(cef: "c", severity: 0, time: time, msgID: "", structured: []),
            as: UTF8.self
        )
        #expect(text.hasPrefix("<110>1 2026-08-20T10:15:02.481Z badhost \(String(repeating: "a", count: 48)) - - - "))
    }
}
