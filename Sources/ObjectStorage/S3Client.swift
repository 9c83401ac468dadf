import CCurl
import Foundation
import Ledger

/// Requests to an S3-compatible bucket through libcurl, signed by libcurl's
/// own AWS Signature V4 (`CURLOPT_AWS_SIGV4`); path-style URLs, so any
/// endpoint works (radosgw, MinIO, AWS). Owns one curl easy handle and so
/// its connection cache; one request at a time (a lock), blocking: callers
/// keep it off Swift's cooperative pool.
public final class S3Client: @unchecked Sendable {
    public let settings: S3Settings
    private let handle: UnsafeMutableRawPointer
    private let lock = NSLock()

    /// curl_global_init must run once, before any handle, on one thread.
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(settings: S3Settings) throws(S3Error) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw S3Error("cannot create a curl handle") }
        self.handle = handle
        self.settings = settings
    }

    deinit { curl_easy_cleanup(handle) }

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        /// Response headers, names lowercased.
        public var headers: [String: String] = [:]
    }

    /// The full object name for `name` (the settings' prefix in front).
    public func key(_ name: String) -> String { settings.prefix.isEmpty ? name : settings.prefix + "/" + name }

    /// One request. `query` pairs are sent sorted by name, each as
    /// `name=value` (the canonical form SigV4 signs; libcurl 7.88 signs the
    /// query as given). `key` nil addresses the bucket.
    public func request(
        _ method: String,
        key: String?,
        query: [(String, String)] = [],
        headers: [String] = [],
        body: [UInt8]? = nil
    ) throws(S3Error) -> Response {
        lock.lock()
        defer { lock.unlock() }
        var url = settings.endpoint + "/" + Self.encode(settings.bucket, keepSlash: false)
        if let key { url += "/" + Self.encode(key, keepSlash: true) }
        if !query.isEmpty {
            url +=
                "?"
                + query.sorted { $0.0 < $1.0 }
                .map { Self.encode($0.0, keepSlash: false) + "=" + Self.encode($0.1, keepSlash: false) }
                .joined(separator: "&")
        }
        curl_easy_reset(handle)
        let received = Received()
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // The body's type stated (libcurl would say form data); the payload's SHA-256 sent (libcurl 7.88 signs it but does not send it, and radosgw
        // then checks the signature against UNSIGNED-PAYLOAD and refuses every request).
        let payload = SHA256Hasher().sha256(body ?? []).hex
        // (An empty "Expect:" to skip the 100-continue round trip would be signed but not sent: 403.)
        for header in headers + ["Content-Type: application/octet-stream", "x-amz-content-sha256: \(payload)"] {
            list = curl_slist_append(list, header)
        }
        defer { curl_slist_free_all(list) }
        var failed: String?
        func set(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK, failed == nil { failed = what + ": " + String(cString: curl_easy_strerror(code)) }
        }
        set(cs_curl_set_string(handle, CURLOPT_URL, url), "url")
        set(cs_curl_set_string(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(settings.region):s3"), "sigv4")
        set(cs_curl_set_string(handle, CURLOPT_USERNAME, settings.accessKey), "credentials")
        set(cs_curl_set_string(handle, CURLOPT_PASSWORD, settings.secretKey), "credentials")
        set(cs_curl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)), "headers")
        set(cs_curl_set_long(handle, CURLOPT_TIMEOUT, settings.timeoutSeconds), "timeout")
        set(cs_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, 10), "timeout")
        set(cs_curl_set_long(handle, CURLOPT_NOSIGNAL, 1), "nosignal")
        if let caFile = settings.caFile { set(cs_curl_set_string(handle, CURLOPT_CAINFO, caFile), "ca file") }
        set(cs_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, Received.write), "receiver")
        set(cs_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(received).toOpaque()), "receiver")
        set(cs_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, Received.header), "receiver")
        set(cs_curl_set_pointer(handle, CURLOPT_HEADERDATA, Unmanaged.passUnretained(received).toOpaque()), "receiver")
        switch method {
        case "GET": break
        case "HEAD": set(cs_curl_set_long(handle, CURLOPT_NOBODY, 1), "head")
        default: set(cs_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method), "method")
        }
        if let body {
            set(cs_curl_set_size(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body")
            body.withUnsafeBytes { raw in
                let pointer = UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                set(cs_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, pointer), "body")
            }
        }
        if let failed { throw S3Error("\(method) \(describe(key)): cannot set up the request (\(failed))") }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            throw S3Error("\(method) \(describe(key)): \(String(cString: curl_easy_strerror(code)))")
        }
        return Response(status: cs_curl_response_code(handle), body: received.bytes, headers: received.headers)
    }

    /// `s3://bucket/key` for messages.
    public func describe(_ key: String?) -> String { "s3://\(settings.bucket)" + (key.map { "/" + $0 } ?? "") }

    /// The server's error code from an S3 error document (`AccessDenied`),
    /// or the status alone. Never the rest of the body.
    public static func errorCode(_ response: Response) -> String {
        let text = String(decoding: response.body.prefix(4_096), as: UTF8.self)
        if let start = text.range(of: "<Code>"),
            let end = text.range(of: "</Code>", range: start.upperBound..<text.endIndex)
        {
            return "HTTP \(response.status) \(text[start.upperBound..<end.lowerBound])"
        }
        return "HTTP \(response.status)"
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX (what SigV4 expects).
    static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The body and headers curl hands over, gathered.
    private final class Received {
        var bytes: [UInt8] = []
        var headers: [String: String] = [:]
        static let header: cs_curl_data_callback = { data, size, count, context in
            guard let data, let context else { return 0 }
            let received = Unmanaged<Received>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            }
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                received.headers[name] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespacesAndNewlines
                )
            }
            return length
        }
        static let write: cs_curl_data_callback = { data, size, count, context in
            guard let data, let context else { return 0 }
            let received = Unmanaged<Received>.fromOpaque(context).takeUnretainedValue()
            let length = size * count
            data.withMemoryRebound(to: UInt8.self, capacity: length) {
                received.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
            }
            return length
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
