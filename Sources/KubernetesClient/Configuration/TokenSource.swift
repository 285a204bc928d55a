import Foundation

/// Produces the `Authorization` header for requests, caching tokens and reloading them when they
/// rotate: a token file is re-read when its modification time changes or after ``maxFileAge``;
/// an exec plugin's token is reused until shortly before it expires. ``invalidate()`` forces a
/// reload (the client calls it after a 401).
actor TokenSource {
    let credentials: Credentials
    /// Re-read a token file at least this often even when its mtime looks unchanged.
    let maxFileAge: TimeInterval = 60

    private var cachedToken: String?
    private var cachedFileModified: Date?
    private var cachedAt: Date?
    private var expiresAt: Date?

    init(credentials: Credentials) {
        self.credentials = credentials
    }

    /// Whether reloading can produce a different credential (so a 401 is worth one retry).
    nonisolated var canRefresh: Bool {
        switch credentials {
        case .tokenFile, .exec: true
        case .none, .token, .basic: false
        }
    }

    func invalidate() {
        cachedToken = nil
        cachedFileModified = nil
        cachedAt = nil
        expiresAt = nil
    }

    func authorizationHeader() async throws -> String? {
        switch credentials {
        case .none:
            return nil
        case .token(let token):
            return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case .tokenFile(let path):
            return "Bearer \(try tokenFromFile(path))"
        case .exec(let config):
            if let cachedToken, expiresAt.map({ $0.timeIntervalSinceNow > 10 }) ?? true {
                return "Bearer \(cachedToken)"
            }
            let credential = try await ExecCredentialPlugin.run(config)
            cachedToken = credential.token
            expiresAt = credential.expiration
            return "Bearer \(credential.token)"
        }
    }

    private func tokenFromFile(_ path: String) throws -> String {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        if let cachedToken, let cachedAt, modified == cachedFileModified, -cachedAt.timeIntervalSinceNow < maxFileAge {
            return cachedToken
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubernetesClientError(.credentials, "token file \(path) is not readable")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubernetesClientError(.credentials, "token file \(path) is empty")
        }
        cachedToken = token
        cachedFileModified = modified
        cachedAt = Date()
        return token
    }
}
