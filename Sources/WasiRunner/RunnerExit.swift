/// The exit statuses `kwasm-wasi` gives a container besides the module's own `proc_exit(n)`.
/// They follow shell conventions, so `kubectl get pod` and `crictl ps` read as users expect.
public enum RunnerExit {
    /// The module trapped (unreachable, out-of-bounds access, stack exhausted...): like SIGABRT.
    public static let trap: Int32 = 134
    /// The module could not be read, does not validate, or cannot be instantiated (missing import).
    public static let invalidModule: Int32 = 126
    /// The runner's own command line is wrong.
    public static let usage: Int32 = 2
    /// Ended by a signal: 128 + the signal number (SIGTERM → 143, SIGINT → 130).
    public static func signalled(_ signal: Int32) -> Int32 { 128 + signal }
}
