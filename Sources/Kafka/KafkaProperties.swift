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
    /// sets callbacks and the opaque pointer on the configuration first; the
    /// log and error callbacks are always ours. The caller owns the handle.
    /// librdkafka's reason for refusing (a missing CA file, a bad SASL
    /// mechanism) is passed on with every secret value masked.
    func makeClient(
        _ type: rd_kafka_type_t,
        role: String,
        prepare: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> OpaquePointer {
        let configuration = try makeConfiguration()
        KafkaLog.install(on: configuration)
        prepare(configuration)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(configuration)
            let reason = redacting(String(cString: errorText))
            throw KafkaError(
                code: "client",
                reason: "could not create the \(role): \(reason.isEmpty ? "librdkafka gave no reason" : reason)"
            )
        }
        return handle  // owns the configuration now
    }

    /// `text` with the value of every secret property replaced, for
    /// librdkafka messages that may quote one.
    public func redacting(_ text: String) -> String {
        var result = text
        for (key, value) in values where Self.isSecret(key) && !value.isEmpty {
            result = result.replacing(value, with: "<redacted>")
        }
        return result
    }

    /// What librdkafka refuses in these properties, checked by librdkafka
    /// itself (unknown names, values out of range or of the wrong type), one
    /// reason per refused key. `check` runs this so a misspelt property
    /// fails before deployment instead of at the first start.
    public func refusals() -> [String: String] {
        guard let configuration = rd_kafka_conf_new() else { return [:] }
        defer { rd_kafka_conf_destroy(configuration) }
        var refused: [String: String] = [:]
        var errorText = [CChar](repeating: 0, count: 512)
        for key in values.keys.sorted() {
            let result = rd_kafka_conf_set(configuration, key, values[key]!, &errorText, errorText.count)
            switch result {
            case RD_KAFKA_CONF_OK: continue
            case RD_KAFKA_CONF_UNKNOWN: refused[key] = "librdkafka has no property of this name"
            default:
                // librdkafka's text quotes the value: kept for plain
                // properties, masked for secrets.
                refused[key] =
                    Self.isSecret(key)
                    ? "librdkafka refuses the value" : "librdkafka: \(String(cString: errorText))"
            }
        }
        return refused
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
