import Foundation

/// Where a test finds an executable of this package's build.
public enum BuiltProgram {
    /// An environment override, else next to the running test bundle (the same scratch dir's bin folder:
    /// works for `.build` and any `--scratch-path`), else `.build/debug`.
    public static func path(_ name: String, override: String? = nil) -> String {
        if let override, let path = ProcessInfo.processInfo.environment[override], !path.isEmpty { return path }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        for _ in 0..<3 {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/" + name
    }
}
