import Foundation

/// The bucket-level settings a WORM archive depends on: versioning and an
/// Object Lock default retention in COMPLIANCE mode, which nobody (root
/// included) can shorten or lift before it ends.
public enum S3Bucket {
    public struct Retention: Equatable, Sendable {
        public var mode: String
        public var days: Int
    }

    /// The bucket's default retention, nil when it has none (no Object Lock,
    /// or no default rule). Years count as 365 days.
    public static func defaultRetention(_ client: S3Client) throws(S3Error) -> Retention? {
        let response = try client.request("GET", key: nil, query: [("object-lock", "")])
        switch response.status {
        case 200: break
        case 404: return nil
        default:
            throw S3Error(
                "cannot read the Object Lock settings of \(client.describe(nil)): \(S3Client.errorCode(response))",
                status: response.status
            )
        }
        guard let mode = S3XML.values(of: "Mode", in: response.body).first else { return nil }
        let days = S3XML.values(of: "Days", in: response.body).first.flatMap { Int($0) }
        let years = S3XML.values(of: "Years", in: response.body).first.flatMap { Int($0) }
        guard let length = days ?? years.map({ $0 * 365 }) else { return nil }
        return Retention(mode: mode, days: length)
    }

    /// Refuses a bucket whose objects could be deleted or overwritten within
    /// the compliance window: no versioning, no default retention,
    /// GOVERNANCE mode (which privileged users may bypass), or too short.
    public static func checkWORM(_ client: S3Client, minimumDays: Int) throws(S3Error) {
        let versioning = try client.request("GET", key: nil, query: [("versioning", "")])
        guard versioning.status == 200 else {
            throw S3Error(
                "cannot read the versioning of \(client.describe(nil)): \(S3Client.errorCode(versioning))",
                status: versioning.status
            )
        }
        guard S3XML.values(of: "Status", in: versioning.body).first == "Enabled" else {
            throw S3Error(
                "\(client.describe(nil)) is not versioned: create it with Object Lock enabled (docs/ledger.md)"
            )
        }
        guard let retention = try defaultRetention(client) else {
            throw S3Error(
                "\(client.describe(nil)) has no default Object Lock retention: set COMPLIANCE for at least \(minimumDays) days (docs/ledger.md)"
            )
        }
        guard retention.mode == "COMPLIANCE" else {
            throw S3Error(
                "\(client.describe(nil)) retains in \(retention.mode) mode, which privileged users can bypass: COMPLIANCE is required"
            )
        }
        guard retention.days >= minimumDays else {
            throw S3Error(
                "\(client.describe(nil)) retains for \(retention.days) days, less than ledger.s3.retention_days (\(minimumDays))"
            )
        }
    }

    /// Creates a bucket with Object Lock (and so versioning) and a default
    /// COMPLIANCE retention: for tests and first set-up. An existing bucket
    /// of ours is fine; its settings are then checked, not changed.
    public static func create(_ client: S3Client, retentionDays: Int) throws(S3Error) {
        let existing = try client.request("GET", key: nil, query: [("object-lock", "")])
        if existing.status == 200, S3XML.values(of: "Mode", in: existing.body).first != nil { return }
        let made = try client.request("PUT", key: nil, headers: ["x-amz-bucket-object-lock-enabled: true"], body: [])
        guard made.status == 200 || S3Client.errorCode(made).hasSuffix("BucketAlreadyOwnedByYou") else {
            throw S3Error("cannot create \(client.describe(nil)): \(S3Client.errorCode(made))", status: made.status)
        }
        let rule = Array(
            ("<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
                + "<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>\(retentionDays)</Days></DefaultRetention></Rule>"
                + "</ObjectLockConfiguration>").utf8
        )
        let md5 = Data(Insecure.md5(rule)).base64EncodedString()
        let set = try client.request(
            "PUT",
            key: nil,
            query: [("object-lock", "")],
            headers: ["Content-MD5: \(md5)"],
            body: rule
        )
        guard set.status == 200 else {
            throw S3Error(
                "cannot set the default retention of \(client.describe(nil)): \(S3Client.errorCode(set))",
                status: set.status
            )
        }
    }
}
