/// One file the installer must write or delete. The engine never touches the file system itself.
public struct PlannedFile: Sendable, Hashable {
    /// Host path.
    public var path: String
    /// New contents, as parts over the bytes read from disk and our block; nil means delete the file.
    public var contents: FileBytes?
    /// New contents in one array (a copy of ``contents``); nil means delete the file.
    public var newContents: [UInt8]? {
        get { contents?.joined }
        set { contents = newValue.map(FileBytes.init) }
    }
    /// The file exists and has not been changed by us before: back it up before the first write.
    public var needsBackup: Bool
    /// The file did not exist and the engine created it (uninstall will delete it again).
    public var createdByUs: Bool
    /// A unified-style, human-readable diff of the change.
    public var diff: String

    public init(path: String, newContents: [UInt8]?, needsBackup: Bool, createdByUs: Bool, diff: String) {
        self.init(path: path, contents: newContents.map(FileBytes.init), needsBackup: needsBackup,
                  createdByUs: createdByUs, diff: diff)
    }

    public init(path: String, contents: FileBytes?, needsBackup: Bool, createdByUs: Bool, diff: String) {
        self.path = path
        self.contents = contents
        self.needsBackup = needsBackup
        self.createdByUs = createdByUs
        self.diff = diff
    }
}

/// The result of planning: the writes to perform, in order. Empty `files` means nothing to do.
public struct ConfigPlan: Sendable, Hashable {
    /// Files to write or delete; only files whose bytes actually change are listed.
    /// Write order matters: drop-ins come before the main file that imports them (install) and
    /// the imports entry is removed before the drop-in is deleted (uninstall).
    public var files: [PlannedFile]
    /// Config schema containerd reads (1, 2 or 3); 0 in an uninstall plan when no config was readable.
    public var schema: Int
    /// The file containerd loads (or the distro renders from) — for the report's `configPath`.
    public var effectiveConfigPath: String
    /// The CRI plugin id whose runtimes table is used, e.g. `io.containerd.grpc.v1.cri`.
    public var criPluginID: String
    /// True when at least one file changes (the installer restarts containerd only then).
    public var changed: Bool { !files.isEmpty }

    public init(files: [PlannedFile], schema: Int, effectiveConfigPath: String, criPluginID: String) {
        self.files = files
        self.schema = schema
        self.effectiveConfigPath = effectiveConfigPath
        self.criPluginID = criPluginID
    }
}

/// Options for ``ConfigEngine/planInstall(_:definitions:options:)``.
public struct InstallOptions: Sendable, Hashable {
    /// When the user already defines a runtime with one of our handlers outside our block, replace it.
    /// Take-over comments out every line of the user's definition (each prefixed with
    /// `# kwasm-operator took over: `) and adds ours in the managed block; uninstall restores those lines.
    /// Inline-table definitions cannot be taken over and stay a conflict.
    public var takeOver: Bool

    public init(takeOver: Bool = false) {
        self.takeOver = takeOver
    }
}

/// One way the host no longer matches what install would produce (for `status`).
public struct Drift: Sendable, Hashable, CustomStringConvertible {
    /// Host path concerned.
    public var path: String
    /// Short human-readable explanation, e.g. "config: runtime spin is missing".
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { message }
}
