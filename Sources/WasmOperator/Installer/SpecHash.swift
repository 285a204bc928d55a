/// Hash of everything that changes what ends up on a node: installer image, runtimes (with
/// their handlers and types) and installer options. Recorded per node; a different value
/// re-provisions the node under the rollout cap.
public enum SpecHash {
    public static func compute(_ configuration: OperatorConfiguration) -> String {
        var canonical = "image=\(configuration.installerImage)\n"
        canonical += "restart=\(configuration.restartStrategy)\n"
        for runtime in configuration.runtimes {
            canonical += "runtime=\(runtime.name)|\(runtime.handler)|\(runtime.kind.rawValue)|\(runtime.runtimeType)\n"
        }
        return InstallerJobName.shortHash(Array(canonical.utf8))
    }
}
