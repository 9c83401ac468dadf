import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Telemetry

/// Whether the worker can do its job: the broker answers and every
/// required sink (and the ledger) accepted its last write.
public struct Readiness: Sendable {
    public var ready: Bool
    public var reasons: [String]

    public init(ready: Bool, reasons: [String]) {
        self.ready = ready
        self.reasons = reasons
    }
}

/// `/metrics` (Prometheus text exposition), `/healthz` (the process is
/// alive) and `/readyz` over HTTP or HTTPS, with optional basic auth in
/// Prometheus' web-config format. The probes stay open without
/// credentials: they reveal nothing and orchestrators rarely send any.
public struct MetricsServer: Service {
    public let host: String
    public let port: Int
    public let webConfig: WebConfig
    let metrics: PipelineMetrics
    let readiness: @Sendable () async -> Readiness
    let logger: Logger
    /// Called with the bound port once listening (port 0 picks a free one).
    let onListening: @Sendable (Int) -> Void

    public init(
        host: String,
        port: Int,
        webConfig: WebConfig = WebConfig(),
        metrics: PipelineMetrics,
        logger: Logger,
        readiness: @escaping @Sendable () async -> Readiness,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.webConfig = webConfig
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        router.add(middleware: BasicAuthMiddleware(config: webConfig))
        let metrics = self.metrics
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
        router.get("healthz") { _, _ in "ok\n" }
        let readiness = self.readiness
        router.get("readyz") { _, _ -> Response in
            let state = await readiness()
            let text = state.ready ? "ready\n" : "not ready: " + state.reasons.joined(separator: "; ") + "\n"
            return Response(
                status: state.ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text))
            )
        }
        var server: HTTPServerBuilder = .http1()
        if let certificate = webConfig.certificateFile, let key = webConfig.keyFile {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            server = try HTTPServerBuilder.tls(HTTPServerBuilder.http1(), tlsConfiguration: configuration)
        }
        let logger = self.logger
        let onListening = self.onListening
        let scheme = webConfig.certificateFile == nil ? "http" : "https"
        let host = self.host
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "countersign"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("metrics endpoint listening", metadata: ["url": "\(scheme)://\(host):\(bound)/metrics"])
                onListening(bound)
            },
            logger: logger
        )
        do {
            try await app.run()
        } catch let error as IOError
            where error.errnoCode == EADDRINUSE || error.errnoCode == EADDRNOTAVAIL
            || error.errnoCode == EACCES
        {
            throw MetricsEndpointError(host: host, port: port, errno: error.errnoCode)
        }
    }
}

/// The endpoint could not listen: names the address and what to change.
public struct MetricsEndpointError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let errno: Int32

    public var description: String {
        let reason = String(cString: strerror(errno)).lowercased()
        let hint =
            switch errno {
            case EADDRINUSE: "another process (another worker, an exporter) listens there; pick a free port"
            case EACCES: "ports below 1024 need privileges; pick a port above 1023"
            default: "the host is not an address of this machine; use 0.0.0.0, 127.0.0.1 or one of its addresses"
            }
        return "cannot listen on \(host):\(port) for /metrics and /readyz: \(reason); \(hint) (metrics.listen)"
    }
}

/// Basic auth for /metrics when the web config names users. A credential
/// that verified is remembered (bcrypt costs tens of milliseconds; a
/// scraper asks every few seconds); at most 32 are kept.
struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let config: WebConfig
    let verified = VerifiedCredentials()

    final class VerifiedCredentials: Sendable {
        private let set = Mutex<Set<String>>([])
        func contains(_ header: String) -> Bool { set.withLock { $0.contains(header) } }
        func insert(_ header: String) {
            set.withLock { set in
                if set.count >= 32 { set.removeAll() }
                set.insert(header)
            }
        }
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard !config.users.isEmpty, request.uri.path == "/metrics" else { return try await next(request, context) }
        let header = request.headers[.authorization]
        if let header, verified.contains(header) { return try await next(request, context) }
        guard config.allows(authorization: header) else {
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic realm=\"countersign\""],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "unauthorized\n"))
            )
        }
        if let header { verified.insert(header) }
        return try await next(request, context)
    }
}
