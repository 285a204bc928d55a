import Foundation

/// The prebuilt real components the tests run against (kube-apiserver, kubelet, containerd 2.x, crictl,
/// crun with WAMR, OCI images), found the way controller-runtime's envtest finds its binaries: the
/// environment variable `KWASM_TEST_ASSETS` names a directory laid out by `shared/testbin/unpack.sh DEST`.
/// `.ci/run` sets it; a user's clone has no such directory, and the tests that need it skip and say so.
public struct TestAssets: Sendable {
    /// The environment variable naming the assets directory.
    public static let environmentVariable = "KWASM_TEST_ASSETS"

    /// The unpacked assets directory.
    public let directory: String

    /// The assets named by `KWASM_TEST_ASSETS`, or `nil` (after saying why on stderr) when it is unset or
    /// does not hold the expected layout.
    public static var fromEnvironment: TestAssets? {
        if let reason = unavailableReason {
            FileHandle.standardError.write(Data("\n*** TestAssets: \(reason) ***\n".utf8))
            return nil
        }
        return TestAssets(directory: ProcessInfo.processInfo.environment[environmentVariable]!)
    }

    /// Like ``fromEnvironment`` without the message: for code that has a fallback (a locally built image).
    public static var quietlyFromEnvironment: TestAssets? {
        unavailableReason == nil ? TestAssets(directory: ProcessInfo.processInfo.environment[environmentVariable]!) : nil
    }

    /// Why the assets cannot be used, or `nil` when they can.
    public static var unavailableReason: String? {
        guard let directory = ProcessInfo.processInfo.environment[environmentVariable], !directory.isEmpty else {
            return "SKIPPED: \(environmentVariable) is not set (point it at a directory made by shared/testbin/unpack.sh; .ci/run does)"
        }
        let assets = TestAssets(directory: directory)
        let missing = [assets.crictl, assets.kubeAPIServer, assets.containerd(.v2_0)]
            .filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard missing.isEmpty else {
            return "SKIPPED: \(environmentVariable)=\(directory) lacks \(missing.joined(separator: ", "))"
        }
        return nil
    }

    public init(directory: String) {
        self.directory = directory
    }

    /// The containerd releases in the assets (Debian's 1.6 is at `/usr/bin/containerd`).
    public enum ContainerdRelease: String, Sendable, CaseIterable {
        case v2_0 = "containerd-2.0"
        case v2_2 = "containerd-2.2"
    }

    /// `containerd` of a release; `ctr` and `containerd-shim-runc-v2` lie next to it.
    public func containerd(_ release: ContainerdRelease) -> String { "\(directory)/\(release.rawValue)/containerd" }
    public func ctr(_ release: ContainerdRelease) -> String { "\(directory)/\(release.rawValue)/ctr" }
    public func runcShim(_ release: ContainerdRelease) -> String { "\(directory)/\(release.rawValue)/containerd-shim-runc-v2" }

    public var crictl: String { "\(directory)/bin/crictl" }
    public var kubectl: String { "\(directory)/bin/kubectl" }
    public var kubeAPIServer: String { "\(directory)/k8s/kube-apiserver" }
    public var kubeControllerManager: String { "\(directory)/k8s/kube-controller-manager" }
    public var kubeScheduler: String { "\(directory)/k8s/kube-scheduler" }
    public var kubelet: String { "\(directory)/k8s/kubelet" }

    /// crun 1.27.1 built with WAMR, and WAMR's `iwasm`.
    public var wasmCrun: String { "\(directory)/wasm/bin/crun" }
    public var iwasm: String { "\(directory)/wasm/bin/iwasm" }
    /// `hello`, `loop`, `exit3` as `.wat` and `.wasm`.
    public func wasmModule(_ name: String, extension ext: String = "wasm") -> String { "\(directory)/wasm/modules/\(name).\(ext)" }
    /// `wasm-hello.tar`, `wasm-loop.tar` (OCI archives).
    public func wasmImage(_ name: String) -> String { "\(directory)/wasm/images/\(name).tar" }

    /// `registry.k8s.io/pause:3.9` and `docker.io/library/busybox:1.36` OCI archives.
    public var pauseImage: String { "\(directory)/images/pause.tar" }
    public var busyboxImage: String { "\(directory)/images/busybox.tar" }
    public static let pauseReference = "registry.k8s.io/pause:3.9"
    public static let busyboxReference = "docker.io/library/busybox:1.36"
}
