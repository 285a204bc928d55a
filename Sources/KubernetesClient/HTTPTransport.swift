import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// One API request, before authentication.
struct APIRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [(String, String)] = []
    var body: [UInt8]?
    var contentType: String?
    var verb: RequestVerb
    var resource: String
}

/// Sends API requests: builds URLs, authenticates, maps error bodies to ``KubernetesError``,
/// re-authenticates once after a 401 and retries when the server says so (429, or 5xx with `Retry-After`).
struct HTTPTransport: Sendable {
    let httpClient: HTTPClient
    let baseURL: String
    let configuration: ClientConfiguration
    let tokens: TokenSource
    let observer: RequestObserver?
    let logger: Logger

    init(configuration: ClientConfiguration, observer: RequestObserver?, logger: Logger) throws {
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
        self.tokens = TokenSource(credentials: configuration.credentials)

        guard var components = URLComponents(string: configuration.server), let scheme = components.scheme,
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else {
            throw KubernetesClientError(.invalidConfiguration, "server \"\(configuration.server)\" is not an http(s) URL")
        }
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: Self.timeAmount(configuration.connectTimeout), read: nil),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64),
            decompression: .disabled)
        httpConfiguration.httpVersion = .http1Only
        // Fail fast with the real cause (e.g. certificate verification) instead of retrying the
        // connection until the connect timeout hides it; callers (watchers, work queues) back off themselves.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        if scheme == "https" {
            httpConfiguration.tlsConfiguration = try Self.tlsConfiguration(configuration.tls)
            if let serverName = configuration.tls.serverName, serverName != host {
                // Verify (and send SNI for) `tls-server-name` while connecting to the real address.
                httpConfiguration.dnsOverride = [serverName: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))]
                components.host = serverName
            }
        }
        var base = components.string ?? configuration.server
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration,
            backgroundActivityLogger: logger)
    }

    static func tlsConfiguration(_ options: TLSOptions) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.certificateAuthorityPEM {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            } catch {
                throw KubernetesClientError(.credentials, "certificate-authority is not a valid PEM certificate bundle: \(error)")
            }
        }
        if let certificate = options.clientCertificatePEM, let key = options.clientKeyPEM {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
            } catch {
                throw KubernetesClientError(.credentials, "client-certificate is not a valid PEM certificate: \(error)")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw KubernetesClientError(.credentials, "client-key is not a valid PEM private key: \(error)")
            }
        }
        if options.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        }
        return tls
    }

    func shutdown() async throws {
        try await httpClient.shutdown()
    }

    func url(for request: APIRequest) -> String {
        var url = baseURL + request.path
        if !request.query.isEmpty {
            url += "?" + request.query.map { "\(Self.escapeQuery($0.0))=\(Self.escapeQuery($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// Sends `request` and returns the whole body of a 2xx response.
    func send(_ request: APIRequest) async throws -> [UInt8] {
        let response = try await open(request, timeout: configuration.requestTimeout)
        do {
            let body = try await response.body.collect(upTo: configuration.maxResponseBytes)
            return Array(buffer: body)
        } catch {
            throw KubernetesClientError(.transport, "\(request.method.rawValue) \(request.path): reading the response failed: \(error)")
        }
    }

    /// Sends `request` and returns a 2xx response whose body may still be streaming (watches).
    func open(_ request: APIRequest, timeout: Duration) async throws -> HTTPClientResponse {
        var retries = 0
        var reauthenticated = false
        var reconnected = false
        while true {
            var httpRequest = HTTPClientRequest(url: url(for: request))
            httpRequest.method = request.method
            httpRequest.headers.add(name: "Accept", value: "application/json")
            httpRequest.headers.add(name: "User-Agent", value: configuration.userAgent)
            if let authorization = try await tokens.authorizationHeader() {
                httpRequest.headers.add(name: "Authorization", value: authorization)
            }
            if let body = request.body {
                httpRequest.headers.add(name: "Content-Type", value: request.contentType ?? "application/json")
                httpRequest.body = .bytes(ByteBuffer(bytes: body))
            }
            let started = ContinuousClock.now
            let response: HTTPClientResponse
            do {
                response = try await httpClient.execute(httpRequest, deadline: .now() + Self.timeAmount(timeout), logger: logger)
            } catch {
                observe(request, statusCode: nil, started: started)
                if error is CancellationError { throw error }
                // A pooled keep-alive connection the server closed just as we used it: reads are safe to resend once.
                if request.verb.isRead, !reconnected, Self.isClosedConnection(error) {
                    reconnected = true
                    logger.debug("connection closed by the server; resending once", metadata: ["path": "\(request.path)"])
                    continue
                }
                throw KubernetesClientError(.transport, "\(request.method.rawValue) \(request.path): \(error)")
            }
            let code = Int(response.status.code)
            observe(request, statusCode: code, started: started)
            logger.trace(
                "API request", metadata: ["verb": "\(request.verb.rawValue)", "path": "\(request.path)", "code": "\(code)"])
            if (200..<300).contains(code) { return response }

            let failure = await Self.decodeError(response)
            if code == 401, tokens.canRefresh, !reauthenticated {
                reauthenticated = true
                logger.debug("401 Unauthorized: reloading credentials and retrying once", metadata: ["path": "\(request.path)"])
                await tokens.invalidate()
                continue
            }
            let serverAskedToRetry = code == 429 || (code >= 500 && failure.retryAfter != nil)
            if serverAskedToRetry, retries < configuration.retry.maxRetries {
                retries += 1
                let delay = min(failure.retryAfter ?? configuration.retry.defaultDelay, configuration.retry.maxDelay)
                logger.debug(
                    "server asked to retry",
                    metadata: ["path": "\(request.path)", "code": "\(code)", "delay": "\(delay)", "retry": "\(retries)"])
                try await Task.sleep(for: delay)
                continue
            }
            throw failure
        }
    }

    static func isClosedConnection(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .remoteConnectionClosed
        }
        if let error = error as? ChannelError {
            return error == .eof || error == .ioOnClosedChannel || error == .outputClosed
        }
        return false
    }

    private func observe(_ request: APIRequest, statusCode: Int?, started: ContinuousClock.Instant) {
        guard let observer else { return }
        observer(
            RequestRecord(
                verb: request.verb, resource: request.resource, statusCode: statusCode,
                duration: ContinuousClock.now - started))
    }

    static func decodeError(_ response: HTTPClientResponse) async -> KubernetesError {
        let code = Int(response.status.code)
        let retryAfter = response.headers.first(name: "Retry-After")
        let body = (try? await response.body.collect(upTo: 1024 * 1024)).map { Array(buffer: $0) } ?? []
        let status = try? JSONDecoder().decode(Status.self, from: Data(body))
        let isStatus = status.map { $0.kind == "Status" || $0.reason != nil || $0.message != nil } ?? false
        return KubernetesError(
            httpCode: code, status: isStatus ? status : nil, retryAfterHeader: retryAfter,
            body: String(decoding: body.prefix(512), as: UTF8.self))
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    private static let queryAllowed: Set<UInt8> = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)

    static func escapeQuery(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if queryAllowed.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}
