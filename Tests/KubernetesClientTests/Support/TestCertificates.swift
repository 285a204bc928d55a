import Foundation

/// A CA, a server certificate (127.0.0.1, localhost), a server certificate valid only for the
/// name `kubernetes.internal`, a client certificate, and an unrelated CA — generated with the
/// `openssl` command line in a fresh temporary directory.
struct TestCertificates: Sendable {
    let caPEM: String
    let otherCAPEM: String
    let serverCertificatePEM: String
    let serverKeyPEM: String
    let namedServerCertificatePEM: String
    let namedServerKeyPEM: String
    let clientCertificatePEM: String
    let clientKeyPEM: String
    let directory: String

    static var opensslAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
            || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/openssl")
    }

    static func generate() throws -> TestCertificates {
        let directory = try TemporaryDirectory()
        let dir = directory.path
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let output = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CertificateGenerationError(
                    message: "openssl \(arguments.joined(separator: " ")): \(String(decoding: output, as: UTF8.self))")
            }
        }
        func makeCA(_ name: String) throws {
            try openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(name).key", "-out", "\(name).crt", "-days", "2", "-subj", "/CN=\(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        func makeLeaf(_ name: String, extensions: String) throws {
            try directory.write("\(name).ext", extensions)
            try openssl([
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)",
            ])
            try openssl([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext",
            ])
        }
        try makeCA("ca")
        try makeCA("other-ca")
        try makeLeaf("server", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try makeLeaf("named", extensions: "subjectAltName=DNS:kubernetes.internal\nextendedKeyUsage=serverAuth\n")
        try makeLeaf("client", extensions: "extendedKeyUsage=clientAuth\n")
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
        }
        return TestCertificates(
            caPEM: try read("ca.crt"), otherCAPEM: try read("other-ca.crt"),
            serverCertificatePEM: try read("server.crt"), serverKeyPEM: try read("server.key"),
            namedServerCertificatePEM: try read("named.crt"), namedServerKeyPEM: try read("named.key"),
            clientCertificatePEM: try read("client.crt"), clientKeyPEM: try read("client.key"), directory: dir)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct CertificateGenerationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
