/// How the server is verified and how we prove our identity at the TLS layer.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bundle of the certificate authorities to trust; `nil` uses the system trust store.
    public var certificateAuthorityPEM: [UInt8]?
    /// PEM client certificate (chain), presented when the server asks.
    public var clientCertificatePEM: [UInt8]?
    /// PEM private key matching ``clientCertificatePEM``.
    public var clientKeyPEM: [UInt8]?
    /// Skips server certificate verification. Off unless the kubeconfig explicitly asks for it.
    public var insecureSkipTLSVerify: Bool
    /// Name to verify the server certificate against (and send as SNI) instead of the URL's host.
    public var serverName: String?

    public init(
        certificateAuthorityPEM: [UInt8]? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        insecureSkipTLSVerify: Bool = false, serverName: String? = nil
    ) {
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.serverName = serverName
    }
}
