import CRdKafka

/// librdkafka configuration properties, passed through as given so that a
/// secured cluster (`security.protocol`, `sasl.*`, `ssl.*`) works unchanged.
///
/// Values are never printed: ``description`` masks the value of every key
/// that can hold a secret.
public struct KafkaProperties: Sendable, Hashable, CustomStringConvertible {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// Keys whose values are secrets, by substring.
    static let secretMarkers = ["password", "secret", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key"]

    static func isSecret(_ key: String) -> Bool {
        secretMarkers.contains { key.lowercased().contains($0) }
    }

    public var description: String {
        values.keys.sorted().map { key in "\(key)=\(Self.isSecret(key) ? "<redacted>" : values[key]!)" }
            .joined(separator: " ")
    }

    /// A new librdkafka client of `type` with these properties. `prepare`
    /// sets callbacks and the opaque pointer on the configuration first. The
    /// caller owns the handle. librdkafka's own message is not passed on: it
    /// can quote a property's value.
    func makeClient(
        _ type: rd_kafka_type_t,
        role: String,
        prepare: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> OpaquePointer {
        let configuration = try makeConfiguration()
        prepare(configuration)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(configuration)
            throw KafkaError(code: "client", reason: "could not create the \(role)")
        }
        return handle  // owns the configuration now
    }

    /// A new librdkafka configuration object holding these properties; the
    /// caller owns it until it passes it to `rd_kafka_new`.
    private func makeConfiguration() throws(KafkaError) -> OpaquePointer {
        guard let configuration = rd_kafka_conf_new() else {
            throw KafkaError(code: "configuration", reason: "out of memory")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for key in values.keys.sorted() {
            let result = rd_kafka_conf_set(configuration, key, values[key]!, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(configuration)
                // librdkafka's message quotes the key, never the value.
                throw .configuration(
                    key: key,
                    detail: result == RD_KAFKA_CONF_UNKNOWN ? "unknown property" : "invalid value"
                )
            }
        }
        return configuration
    }
}

extension KafkaProperties: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
