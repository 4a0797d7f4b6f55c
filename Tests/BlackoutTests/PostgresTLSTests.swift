import Foundation
import Outages
import Store
import StorePostgres
import Testing
import TestSupport

/// `--db postgres://…?sslmode=…` against a server of the test's own that takes TLS
/// connections only, with a certificate the test makes (openssl): a CA, and a server
/// certificate from it for `localhost` and 127.0.0.1.
@Suite struct PostgresTLSTests {
    /// Runs openssl; its standard error on failure.
    static func openssl(_ arguments: [String]) throws {
        let r = try TestPostgres.run("/usr/bin/openssl", arguments)
        guard r.status == 0 else { throw TestPostgres.Failure("openssl \(arguments.joined(separator: " ")): \(r.stderr)") }
    }

    /// The CA's certificate and the server's certificate and key, in `dir`.
    static func certificates(in dir: URL) throws -> (ca: String, certificate: String, key: String) {
        let f = { (name: String) in dir.appendingPathComponent(name).path }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2",
                     "-subj", "/CN=Blackout test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"),
                     "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: f("san.ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial",
                     "-out", f("server.pem"), "-days", "2", "-extfile", f("san.ext")])
        return (f("ca.pem"), f("server.pem"), f("server.key"))
    }

    /// `require` connects without checking the certificate; `verify-full` checks it against
    /// `sslrootcert` and the host name, and refuses it without the CA; `disable` is refused
    /// by the server. Each failure says why.
    @Test(.timeLimit(.minutes(2))) func connectionsUseTLSAsTheURLAsks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ca, certificate, key) = try Self.certificates(in: dir)
        let port = try TestPostgres.freePort()
        let server = try TestPostgres.Server(port: port, listen: "127.0.0.1,127.0.0.2", tls: (certificate, key))
        defer { server.remove() }
        try server.start()
        let base = "postgres://blackout:blackout@localhost:\(port)"
        try TestPostgres.psql("\(base)/postgres?sslmode=require", "CREATE DATABASE tls")

        // Encrypted without a check of the certificate: the schema is made, a query answers.
        let required = try PostgresStore("\(base)/tls?sslmode=require", reconnectFor: 2)
        #expect(try required.events(EventQuery()).isEmpty)
        required.close()

        // Checked against the CA, for the host of the URL: a name, and an address.
        for host in ["localhost", "127.0.0.1"] {
            let verified = try PostgresStore("postgres://blackout:blackout@\(host):\(port)/tls?sslmode=verify-full&sslrootcert=\(ca)",
                                             reconnectFor: 2)
            #expect(try verified.events(EventQuery()).isEmpty, "\(host)")
            verified.close()
        }

        // The system's roots do not know the test's CA: refused at once (not retried), and said.
        let clock = ContinuousClock.now
        #expect {
            try PostgresStore("\(base)/tls?sslmode=verify-full", reconnectFor: 10)
        } throws: { error in
            let text = "\(error)"
            return text.contains("localhost:\(port)/tls: cannot connect: the TLS handshake with localhost:\(port) failed")
                && text.contains("CERTIFICATE_VERIFY_FAILED") && text.contains("trusts the system's CA certificates")
        }
        #expect(ContinuousClock.now - clock < .seconds(5), "a refused certificate is not retried for reconnectFor")

        // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (the same server).
        #expect {
            try PostgresStore("postgres://blackout:blackout@127.0.0.2:\(port)/tls?sslmode=verify-full&sslrootcert=\(ca)",
                              reconnectFor: 1)
        } throws: { error in
            let text = "\(error)"
            return text.contains("the TLS handshake with 127.0.0.2:\(port) failed") && text.contains("must name 127.0.0.2")
        }
        // verify-ca trusts the CA and does not ask for the name.
        let caOnly = try PostgresStore("postgres://blackout:blackout@127.0.0.2:\(port)/tls?sslmode=verify-ca&sslrootcert=\(ca)",
                                       reconnectFor: 2)
        #expect(try caOnly.events(EventQuery()).isEmpty)
        caOnly.close()

        // A CA file that is not there is named.
        #expect {
            try PostgresStore("\(base)/tls?sslmode=verify-full&sslrootcert=\(dir.path)/missing.pem", reconnectFor: 1)
        } throws: { error in
            "\(error)".contains("sslrootcert=\(dir.path)/missing.pem: cannot read the file")
        }

        // Without TLS the server refuses the connection.
        #expect {
            try PostgresStore("\(base)/tls?sslmode=disable", reconnectFor: 1)
        } throws: { error in
            "\(error)".contains("pg_hba.conf rejects connection") && "\(error)".contains("no encryption")
        }
    }
}
