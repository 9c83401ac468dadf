/// Where a bucket is and how to sign for it. The secret stays out of every
/// description.
public struct S3Settings: Sendable, CustomStringConvertible {
    /// `http://127.0.0.1:7480` or `https://s3.eu-west-1.amazonaws.com`; path-style requests.
    public var endpoint: String
    public var region: String
    public var bucket: String
    /// Names are written under this prefix (no leading or trailing slash; may be empty).
    public var prefix: String
    public var accessKey: String
    public var secretKey: String
    /// A CA bundle for a private endpoint's certificate (nil: the system's).
    public var caFile: String?
    public var timeoutSeconds: Int

    public init(
        endpoint: String,
        region: String,
        bucket: String,
        prefix: String,
        accessKey: String,
        secretKey: String,
        caFile: String? = nil,
        timeoutSeconds: Int = 30
    ) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.caFile = caFile
        self.timeoutSeconds = timeoutSeconds
    }

    /// `s3://bucket/prefix`, the form users give and messages print.
    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    /// Splits `s3://bucket[/prefix]`; nil for anything else.
    public static func parse(location: String) -> (bucket: String, prefix: String)? {
        guard location.hasPrefix("s3://") else { return nil }
        let rest = location.dropFirst(5)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = parts.first, !bucket.isEmpty else { return nil }
        return (String(bucket), parts.count > 1 ? String(parts[1]) : "")
    }

    /// Settings for a location from the environment, as the AWS tools read
    /// it: `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`), `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`, else us-east-1), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_CA_BUNDLE`.
    public static func fromEnvironment(location: String, environment: [String: String]) throws(S3Error) -> S3Settings {
        guard let (bucket, prefix) = parse(location: location) else {
            throw S3Error("'\(location)' is not an s3://bucket/prefix location")
        }
        guard let endpoint = environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"] else {
            throw S3Error("set AWS_ENDPOINT_URL to the object storage's address (for \(location))")
        }
        guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
            throw S3Error("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for \(location))")
        }
        return S3Settings(
            endpoint: endpoint,
            region: environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1",
            bucket: bucket,
            prefix: prefix,
            accessKey: key,
            secretKey: secret,
            caFile: environment["AWS_CA_BUNDLE"]
        )
    }
}
