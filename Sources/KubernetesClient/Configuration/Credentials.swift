/// How requests are authenticated (besides a TLS client certificate).
public enum Credentials: Sendable, Hashable {
    case none
    /// A fixed bearer token.
    case token(String)
    /// A bearer token read from a file and re-read when the file changes (projected service account tokens rotate).
    case tokenFile(path: String)
    /// A token from an exec credential plugin (`client.authentication.k8s.io/v1`), cached until it expires.
    case exec(ExecConfig)
    case basic(username: String, password: String)
}

/// An exec credential plugin from a kubeconfig `users[].user.exec`.
public struct ExecConfig: Sendable, Hashable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    public var env: [String: String]
    /// Shown when the command cannot be run.
    public var installHint: String?
    /// Directory the command is resolved from when it is a relative path (the kubeconfig's directory).
    public var baseDirectory: String?

    public init(
        apiVersion: String = "client.authentication.k8s.io/v1", command: String, args: [String] = [],
        env: [String: String] = [:], installHint: String? = nil, baseDirectory: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.baseDirectory = baseDirectory
    }
}
