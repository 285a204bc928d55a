import Foundation
import Yams

/// The parts of a kubeconfig file (`kind: Config`) this client understands.
public struct KubeConfig: Codable, Sendable, Hashable {
    public var clusters: [NamedCluster]?
    public var users: [NamedUser]?
    public var contexts: [NamedContext]?
    public var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    public init(
        clusters: [NamedCluster]? = nil, users: [NamedUser]? = nil, contexts: [NamedContext]? = nil,
        currentContext: String? = nil
    ) {
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
        self.currentContext = currentContext
    }

    public struct NamedCluster: Codable, Sendable, Hashable {
        public var name: String
        public var cluster: Cluster?
    }

    public struct Cluster: Codable, Sendable, Hashable {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?
        public var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case proxyURL = "proxy-url"
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }

    public struct NamedUser: Codable, Sendable, Hashable {
        public var name: String
        public var user: User?
    }

    public struct User: Codable, Sendable, Hashable {
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var token: String?
        public var tokenFile: String?
        public var username: String?
        public var password: String?
        public var exec: Exec?
        public var authProvider: JSONValue?

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case token
            case tokenFile
            case username, password, exec
            case authProvider = "auth-provider"
        }
    }

    public struct Exec: Codable, Sendable, Hashable {
        public var apiVersion: String?
        public var command: String?
        public var args: [String]?
        public var env: [EnvEntry]?
        public var installHint: String?
    }

    public struct EnvEntry: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public struct NamedContext: Codable, Sendable, Hashable {
        public var name: String
        public var context: Context?
    }

    public struct Context: Codable, Sendable, Hashable {
        public var cluster: String?
        public var user: String?
        public var namespace: String?
    }

    /// Parses kubeconfig YAML; `source` names the file in error messages.
    public static func parse(_ yaml: String, source: String = "kubeconfig") throws -> KubeConfig {
        do {
            if yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return KubeConfig() }
            return try YAMLDecoder().decode(KubeConfig.self, from: yaml)
        } catch {
            throw KubernetesClientError(.invalidConfiguration, "\(source): not a valid kubeconfig: \(error)")
        }
    }

    /// Merges another file into this one the way kubectl does: for clusters, users and contexts
    /// the first definition of a name wins, and so does the first `current-context`.
    public mutating func merge(_ other: KubeConfig) {
        func union<T>(_ mine: [T]?, _ theirs: [T]?, name: (T) -> String) -> [T]? {
            guard let theirs else { return mine }
            var result = mine ?? []
            var seen = Set(result.map(name))
            for item in theirs where seen.insert(name(item)).inserted { result.append(item) }
            return result
        }
        clusters = union(clusters, other.clusters, name: \.name)
        users = union(users, other.users, name: \.name)
        contexts = union(contexts, other.contexts, name: \.name)
        if currentContext?.isEmpty ?? true { currentContext = other.currentContext }
    }
}

extension ClientConfiguration {
    /// Reads one or more kubeconfig files (merged, first wins) and resolves `context`
    /// (or the files' `current-context`). Relative paths in a file are relative to that file's directory.
    public static func kubeconfig(paths: [String], context: String? = nil) throws -> ClientConfiguration {
        var merged = KubeConfig()
        var found = false
        // Each entry remembers its file's directory, for relative certificate paths.
        var directories: [String: String] = [:]
        func remember(_ kind: String, _ names: [String]?, _ directory: String) {
            for name in names ?? [] where directories["\(kind)/\(name)"] == nil {
                directories["\(kind)/\(name)"] = directory
            }
        }
        for path in paths {
            let expanded = (path as NSString).expandingTildeInPath
            guard let data = FileManager.default.contents(atPath: expanded) else {
                // kubectl ignores missing files in a KUBECONFIG list, but not an explicit single path.
                if paths.count == 1 {
                    throw KubernetesClientError(.invalidConfiguration, "kubeconfig \(expanded) does not exist or is not readable")
                }
                continue
            }
            found = true
            let config = try KubeConfig.parse(String(decoding: data, as: UTF8.self), source: expanded)
            let directory = (expanded as NSString).deletingLastPathComponent
            remember("cluster", config.clusters?.map(\.name), directory)
            remember("user", config.users?.map(\.name), directory)
            merged.merge(config)
        }
        guard found else {
            throw KubernetesClientError(
                .invalidConfiguration, "none of the kubeconfig files exist: \(paths.joined(separator: ", "))")
        }
        return try resolve(merged, context: context, source: paths.joined(separator: ":")) { kind, name in
            directories["\(kind)/\(name)"] ?? FileManager.default.currentDirectoryPath
        }
    }

    /// Builds a configuration from kubeconfig text; relative paths resolve against `directory`.
    public static func kubeconfig(
        yaml: String, directory: String, context: String? = nil, source: String = "kubeconfig"
    ) throws -> ClientConfiguration {
        let config = try KubeConfig.parse(yaml, source: source)
        return try resolve(config, context: context, source: source) { _, _ in directory }
    }

    static func resolve(
        _ config: KubeConfig, context requested: String?, source: String,
        directory: (_ kind: String, _ name: String) -> String
    ) throws -> ClientConfiguration {
        func fail(_ message: String) -> KubernetesClientError {
            KubernetesClientError(.invalidConfiguration, "\(source): \(message)")
        }
        guard let contextName = requested.flatMap({ $0.isEmpty ? nil : $0 }) ?? config.currentContext,
            !contextName.isEmpty
        else {
            throw fail("no context given and current-context is not set")
        }
        guard let namedContext = config.contexts?.first(where: { $0.name == contextName }) else {
            let known = (config.contexts ?? []).map(\.name).joined(separator: ", ")
            throw fail("context \"\(contextName)\" not found (contexts: \(known.isEmpty ? "none" : known))")
        }
        guard let context = namedContext.context else {
            throw fail("context \"\(contextName)\": field 'context' is missing")
        }
        guard let clusterName = context.cluster, !clusterName.isEmpty else {
            throw fail("context \"\(contextName)\": field 'cluster' is missing")
        }
        guard let cluster = config.clusters?.first(where: { $0.name == clusterName })?.cluster else {
            throw fail("cluster \"\(clusterName)\" (of context \"\(contextName)\") not found")
        }
        guard let server = cluster.server?.trimmingCharacters(in: .whitespaces), !server.isEmpty else {
            throw fail("cluster \"\(clusterName)\": field 'server' is missing")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw fail("cluster \"\(clusterName)\": field 'server' must be an http(s) URL, got \"\(server)\"")
        }
        if let proxy = cluster.proxyURL, !proxy.isEmpty {
            // Failing here beats a connect timeout that never mentions the proxy.
            throw fail("cluster \"\(clusterName)\": proxy-url is not supported; the API server must be reachable directly")
        }
        let clusterDirectory = directory("cluster", clusterName)
        var tls = TLSOptions()
        tls.insecureSkipTLSVerify = cluster.insecureSkipTLSVerify ?? false
        tls.serverName = cluster.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        tls.certificateAuthorityPEM = try material(
            data: cluster.certificateAuthorityData, path: cluster.certificateAuthority,
            field: "cluster \"\(clusterName)\": certificate-authority", directory: clusterDirectory, fail: fail)
        if tls.insecureSkipTLSVerify && tls.certificateAuthorityPEM != nil {
            // kubectl refuses this combination rather than silently ignoring one of them.
            throw fail(
                "cluster \"\(clusterName)\": insecure-skip-tls-verify cannot be combined with certificate-authority(-data)")
        }

        var credentials = Credentials.none
        if let userName = context.user, !userName.isEmpty {
            guard let user = config.users?.first(where: { $0.name == userName })?.user else {
                throw fail("user \"\(userName)\" (of context \"\(contextName)\") not found")
            }
            credentials = try userCredentials(
                user, named: userName, directory: directory("user", userName), tls: &tls, fail: fail)
        }
        let namespace = context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return ClientConfiguration(server: server, tls: tls, credentials: credentials, defaultNamespace: namespace)
    }

    /// The client certificate (into `tls`) and the credentials of the kubeconfig user `name`.
    private static func userCredentials(
        _ user: KubeConfig.User, named name: String, directory: String, tls: inout TLSOptions,
        fail: (String) -> KubernetesClientError
    ) throws -> Credentials {
        var credentials = Credentials.none
        tls.clientCertificatePEM = try material(
            data: user.clientCertificateData, path: user.clientCertificate,
            field: "user \"\(name)\": client-certificate", directory: directory, fail: fail)
        tls.clientKeyPEM = try material(
            data: user.clientKeyData, path: user.clientKey, field: "user \"\(name)\": client-key",
            directory: directory, fail: fail)
        if tls.clientCertificatePEM != nil && tls.clientKeyPEM == nil {
            throw fail("user \"\(name)\": client-certificate is set but client-key(-data) is missing")
        }
        if tls.clientKeyPEM != nil && tls.clientCertificatePEM == nil {
            throw fail("user \"\(name)\": client-key is set but client-certificate(-data) is missing")
        }
        if let token = user.token, !token.isEmpty {
            credentials = .token(token)
        } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            let path = absolute(tokenFile, directory: directory)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fail("user \"\(name)\": tokenFile \(path) is not readable")
            }
            credentials = .tokenFile(path: path)
        } else if let exec = user.exec {
            guard let command = exec.command, !command.isEmpty else {
                throw fail("user \"\(name)\": exec: field 'command' is missing")
            }
            let apiVersion = exec.apiVersion ?? ""
            guard apiVersion.hasPrefix("client.authentication.k8s.io/") else {
                throw fail("user \"\(name)\": exec: field 'apiVersion' is missing or unsupported (\"\(apiVersion)\")")
            }
            credentials = .exec(
                ExecConfig(
                    apiVersion: apiVersion, command: command, args: exec.args ?? [],
                    env: Dictionary((exec.env ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }),
                    installHint: exec.installHint, baseDirectory: directory))
        } else if let username = user.username, let password = user.password {
            credentials = .basic(username: username, password: password)
        } else if user.authProvider != nil {
            throw fail("user \"\(name)\": auth-provider plugins are not supported; use an exec plugin")
        }
        return credentials
    }

    private static func absolute(_ path: String, directory: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : directory + "/" + expanded
    }

    /// Reads `*-data` (base64) or the file at `path`; `nil` when neither is set.
    private static func material(
        data: String?, path: String?, field: String, directory: String,
        fail: (String) -> KubernetesClientError
    ) throws -> [UInt8]? {
        if let data, !data.isEmpty {
            let compact = data.filter { !$0.isWhitespace }
            guard let decoded = Data(base64Encoded: compact), !decoded.isEmpty else {
                throw fail("\(field)-data is not valid base64")
            }
            return Array(decoded)
        }
        if let path, !path.isEmpty {
            let file = absolute(path, directory: directory)
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw fail("\(field) file \(file) does not exist or is not readable")
            }
            guard !contents.isEmpty else { throw fail("\(field) file \(file) is empty") }
            return Array(contents)
        }
        return nil
    }
}
