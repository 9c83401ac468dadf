import Foundation
import HummingbirdBcrypt
import Yams

/// The endpoint's web configuration in Prometheus' own format (the
/// exporter-toolkit `--web.config.file`): TLS from `tls_server_config`
/// (`cert_file`, `key_file`), basic auth from `basic_auth_users` (user name
/// to bcrypt hash). Keys it does not support are refused, never ignored.
public struct WebConfig: Sendable, Hashable {
    public var certificateFile: String?
    public var keyFile: String?
    /// User name to bcrypt hash.
    public var users: [String: String] = [:]

    public init(certificateFile: String? = nil, keyFile: String? = nil, users: [String: String] = [:]) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.users = users
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(path: String) throws(Invalid) -> WebConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(description: "cannot read the web config file '\(path)'")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(Invalid) -> WebConfig {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw Invalid(description: "\(file): not valid YAML")
        }
        guard let top = (loaded ?? [String: Any]()) as? [String: Any] else {
            throw Invalid(description: "\(file): expected a mapping")
        }
        var config = WebConfig()
        for (key, value) in top {
            switch key {
            case "tls_server_config":
                guard let tls = value as? [String: Any] else {
                    throw Invalid(description: "\(file): tls_server_config: expected a mapping")
                }
                for (tlsKey, tlsValue) in tls {
                    switch tlsKey {
                    case "cert_file": config.certificateFile = tlsValue as? String
                    case "key_file": config.keyFile = tlsValue as? String
                    default:
                        throw Invalid(description: "\(file): tls_server_config.\(tlsKey): not supported")
                    }
                }
                guard config.certificateFile != nil, config.keyFile != nil else {
                    throw Invalid(description: "\(file): tls_server_config needs cert_file and key_file")
                }
            case "basic_auth_users":
                guard let users = value as? [String: Any] else {
                    throw Invalid(description: "\(file): basic_auth_users: expected user: bcrypt-hash pairs")
                }
                for (user, hash) in users {
                    guard let hash = hash as? String, hash.hasPrefix("$2") else {
                        // The value is a secret: never quoted.
                        throw Invalid(description: "\(file): basic_auth_users.\(user): expected a bcrypt hash")
                    }
                    config.users[user] = hash
                }
            default:
                throw Invalid(description: "\(file): \(key): not supported (tls_server_config, basic_auth_users)")
            }
        }
        return config
    }

    /// Checks an `Authorization: Basic ...` header value against the users.
    public func allows(authorization: String?) -> Bool {
        guard !users.isEmpty else { return true }
        guard let authorization, authorization.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))),
            let pair = String(data: decoded, encoding: .utf8),
            let colon = pair.firstIndex(of: ":"),
            let hash = users[String(pair[..<colon])]
        else { return false }
        return Bcrypt.verify(String(pair[pair.index(after: colon)...]), hash: hash)
    }
}
