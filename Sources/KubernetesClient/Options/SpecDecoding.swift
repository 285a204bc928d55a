import Foundation

extension CodingUserInfoKey {
    /// `true`: kinds that support it (``Job``, ``Pod``) leave `spec` `nil` when decoding.
    /// Set by ``ListOptions/decodesSpec`` and ``WatchOptions/decodesSpec``.
    static let kubernetesSkipsSpec = CodingUserInfoKey(rawValue: "kubernetes.skipsSpec")!
}

extension Decoder {
    /// Whether this decode was asked to leave `spec` out (see ``WatchOptions/decodesSpec``).
    var skipsSpec: Bool { userInfo[.kubernetesSkipsSpec] as? Bool ?? false }
}

extension JSONDecoder {
    /// A decoder that, with `decodesSpec == false`, leaves Jobs' and Pods' `spec` out.
    static func kubernetes(decodesSpec: Bool) -> JSONDecoder {
        let decoder = JSONDecoder()
        if !decodesSpec { decoder.userInfo[.kubernetesSkipsSpec] = true }
        return decoder
    }
}
