import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// The TLS client settings of one endpoint: owns one `SSL_CTX` (trust
/// anchors, client certificate, TLS 1.2 at least, peer verification).
final class TLSContext: @unchecked Sendable {
    let handle: OpaquePointer
    let options: TLSOptions

    init(options: TLSOptions) throws(SyslogSendError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw SyslogSendError(description: "TLS: cannot create a context (\(openSSLErrors()))")
        }
        handle = context
        self.options = options
        // OpenSSL writes to the socket with write(2): a collector that hangs
        // up must be an error, not a SIGPIPE that ends the process.
        signal(SIGPIPE, SIG_IGN)
        guard countersign_ssl_ctx_min_tls12(context) == 1 else {
            throw SyslogSendError(description: "TLS: cannot require TLS 1.2 (\(openSSLErrors()))")
        }
        if options.verify {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            let loaded =
                if let caFile = options.caFile {
                    SSL_CTX_load_verify_locations(context, caFile, nil)
                } else {
                    SSL_CTX_set_default_verify_paths(context)
                }
            guard loaded == 1 else {
                throw SyslogSendError(
                    description:
                        "TLS: cannot load the CA certificates \(options.caFile ?? "of the system") (\(openSSLErrors()))"
                )
            }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        if let certificate = options.certificateFile {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw SyslogSendError(
                    description: "TLS: cannot load the client certificate \(certificate) (\(openSSLErrors()))"
                )
            }
            let key = options.keyFile ?? certificate
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1,
                SSL_CTX_check_private_key(context) == 1
            else {
                throw SyslogSendError(
                    description: "TLS: cannot load the client key \(key) or it does not match (\(openSSLErrors()))"
                )
            }
        }
    }

    deinit { SSL_CTX_free(handle) }
}

/// One TLS session over a connected socket: owns one `SSL`. The handshake
/// checks the chain and that the certificate names `expectedName` (a DNS
/// name, or an IP address in its subjectAltName).
final class TLSStream {
    private let handle: OpaquePointer

    init(context: TLSContext, descriptor: Int32, host: String) throws(SyslogSendError) {
        guard let ssl = SSL_new(context.handle) else {
            throw SyslogSendError(description: "TLS: cannot create a session (\(openSSLErrors()))")
        }
        handle = ssl
        let name = context.options.serverName ?? host
        SSL_set_fd(ssl, descriptor)
        if context.options.verify {
            if isIPAddress(name) {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
            } else {
                _ = countersign_ssl_set_sni(ssl, name)
                SSL_set1_host(ssl, name)
            }
        } else if !isIPAddress(name) {
            _ = countersign_ssl_set_sni(ssl, name)
        }
        ERR_clear_error()
        guard SSL_connect(ssl) == 1 else {
            let verdict = SSL_get_verify_result(ssl)
            let reason =
                verdict != X509_V_OK
                ? "certificate check failed: \(String(cString: X509_verify_cert_error_string(verdict)))"
                : openSSLErrors()
            throw SyslogSendError(description: "TLS handshake with \(name) failed: \(reason)")
        }
    }

    deinit { SSL_free(handle) }

    /// Writes every byte (blocking socket: SSL_write returns once all of it
    /// went out as records).
    func writeAll(_ bytes: [UInt8]) throws(SyslogSendError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let written = bytes.withUnsafeBytes {
                SSL_write(handle, $0.baseAddress! + offset, Int32(min($0.count - offset, Int(Int32.max))))
            }
            if written <= 0 {
                let code = SSL_get_error(handle, written)
                if code == SSL_ERROR_WANT_WRITE || code == SSL_ERROR_WANT_READ { continue }
                let reason = code == SSL_ERROR_SYSCALL ? String(cString: strerror(errno)) : openSSLErrors()
                throw SyslogSendError(description: "TLS write failed: \(reason)")
            }
            offset += Int(written)
        }
    }

    /// Sends close_notify; the caller closes the socket.
    func shutdown() { SSL_shutdown(handle) }
}

private func isIPAddress(_ text: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
}

/// OpenSSL's queued errors as text (library reasons only; never data).
func openSSLErrors() -> String {
    var reasons: [String] = []
    while case let code = ERR_get_error(), code != 0 {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
}
