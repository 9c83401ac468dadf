import AuditDecoder
import AuditEvent
import Testing
import TrafficGenerator

@Suite("Encoding and decoding agree")
struct RoundTripTests {
    @Test("generated events survive JSON text and back, field for field")
    func generatedRoundTrip() throws {
        let traffic = SyntheticTraffic(seed: 7)
        let decoder = try AuditEventDecoder()
        for index in 0..<2_000 {
            let event = traffic.event(at: index)
            let bytes = event.jsonBytes()
            var decoded = try decoder.decode(bytes)
            #expect(decoded.raw == bytes)
            decoded.raw = []
            #expect(decoded == event, "event \(index)")
        }
    }

    @Test("every sample re-encodes to JSON that decodes to the same fields")
    func samplesReencode() throws {
        let decoder = try AuditEventDecoder()
        for name in Fixtures.names {
            var first = try decoder.decode(Fixtures.bytes(name))
            first.raw = []
            var second = try decoder.decode(first.jsonBytes())
            second.raw = []
            #expect(second == first, "\(name)")
        }
    }

    @Test("the same seed gives the same traffic; another seed does not")
    func generatorDeterminism() {
        let a = SyntheticTraffic(seed: 99)
        let b = SyntheticTraffic(seed: 99)
        let c = SyntheticTraffic(seed: 100)
        let first = (0..<100).map { a.message(at: $0) }
        #expect(first == (0..<100).map { b.message(at: $0) })
        #expect(first != (0..<100).map { c.message(at: $0) })
    }

    @Test("one decoder decodes many messages in a row, valid and invalid mixed")
    func decoderReuse() throws {
        let decoder = try AuditEventDecoder()
        let traffic = SyntheticTraffic(seed: 3)
        for index in 0..<500 {
            if index % 3 == 0 {
                #expect(throws: AuditEventError.self) { try decoder.decode(Array("{\"schema\":".utf8)) }
            }
            let event = try decoder.decode(traffic.message(at: index))
            #expect(event.eventID == traffic.event(at: index).eventID)
        }
    }
}
