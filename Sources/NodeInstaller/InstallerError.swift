/// An installer failure with one of the contract's error codes (docs/design/contracts.md).
public struct InstallerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// CamelCase code used verbatim by the operator as a condition reason.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let unsupportedSchema = Code(rawValue: "UnsupportedSchema")
        public static let immutableHost = Code(rawValue: "ImmutableHost")
        public static let machineIDMismatch = Code(rawValue: "MachineIDMismatch")
        public static let containerdNotFound = Code(rawValue: "ContainerdNotFound")
        public static let checksumMismatch = Code(rawValue: "ChecksumMismatch")
        public static let catalogInvalid = Code(rawValue: "CatalogInvalid")
        public static let unknownRuntime = Code(rawValue: "UnknownRuntime")
        public static let configParseError = Code(rawValue: "ConfigParseError")
        public static let runtimeConflict = Code(rawValue: "RuntimeConflict")
        public static let lockTimeout = Code(rawValue: "LockTimeout")
        public static let restartFailed = Code(rawValue: "RestartFailed")
        public static let verificationFailed = Code(rawValue: "VerificationFailed")
        public static let ioError = Code(rawValue: "IOError")
        public static let invalidArgument = Code(rawValue: "InvalidArgument")

        /// Codes that mean "this host cannot be handled", reported as result `unsupported`.
        public var isUnsupported: Bool {
            [.unsupportedSchema, .immutableHost, .machineIDMismatch, .containerdNotFound].contains(self)
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func io(_ what: String, path: String, errno code: Int32) -> InstallerError {
        InstallerError(.ioError, "\(what) \(path): \(String(cString: strerror(code)))")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
