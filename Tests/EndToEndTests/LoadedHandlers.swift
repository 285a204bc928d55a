import NodeInstaller

// Kept apart: this file imports NodeInstaller for its CRI client only (the installer's report type
// must not meet the operator's in one file; see InstallerReportWriter.swift).

/// The runtime handlers the running containerd's CRI plugin has loaded, handler → runtime_type,
/// asked over containerd's socket (what the kubelet would see), not read from the config file.
func criLoadedHandlers(socketPath: String) async throws -> [String: String] {
    try await ContainerdAPI(socketPath: socketPath).criStatus().runtimes.mapValues(\.runtimeType)
}
