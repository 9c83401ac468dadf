import CLibPQ
import COpenSSL
import CRdKafka
import Testing

/// The system-library targets link and work: each C library answers a call.
@Suite("System libraries")
struct SystemLibrariesTests {
    @Test("librdkafka links and can start its mock cluster")
    func rdkafka() throws {
        let version = String(cString: rd_kafka_version_str())
        #expect(version.hasPrefix("2."))
        let config = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 256)
        guard let producer = rd_kafka_new(RD_KAFKA_PRODUCER, config, &errorText, errorText.count) else {
            Issue.record(
                "rd_kafka_new failed: \(String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
            )
            return
        }
        defer { rd_kafka_destroy(producer) }
        let cluster = rd_kafka_mock_cluster_new(producer, 1)
        #expect(cluster != nil)
        if let cluster {
            let bootstrap = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
            #expect(bootstrap.contains("127.0.0.1:"))
            rd_kafka_mock_cluster_destroy(cluster)
        }
    }

    @Test("OpenSSL links and hashes the empty string to the RFC 9162 empty root")
    func openssl() throws {
        #expect(OpenSSL_version_num() >= 0x3000_0000)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        #expect(EVP_Digest(nil, 0, &digest, &length, EVP_sha256(), nil) == 1)
        let hex = digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        #expect(hex.joined() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("libpq links and reports its version")
    func libpqVersion() {
        #expect(PQlibVersion() >= 150_000)
    }

    @Test("the harness's PostgreSQL answers a query", .enabled(if: TestServers.required(TestServers.postgres)))
    func postgresReachable() throws {
        let conninfo = try #require(
            TestServers.postgres,
            "COUNTERSIGN_TEST_PG is not set; run the tests through `make test`"
        )
        let connection = PQconnectdb(conninfo)
        defer { PQfinish(connection) }
        #expect(PQstatus(connection) == CONNECTION_OK)
        let result = PQexec(connection, "select current_setting('server_version_num')::int")
        defer { PQclear(result) }
        #expect(PQresultStatus(result) == PGRES_TUPLES_OK)
        let version = Int(String(cString: PQgetvalue(result, 0, 0))) ?? 0
        #expect(version >= 150_000)
    }
}
