#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A WASI preview1 module cannot handle signals, so SIGTERM/SIGINT/SIGHUP end the runner at once with
/// 128 + the signal: the pod stops within its grace period instead of waiting for SIGKILL. The
/// module writes straight to file descriptors (no buffers to flush), so `_exit` loses nothing.
public enum SignalExit {
    public static func install() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig) { received in _exit(128 + received) }
            sigaddset(&unblock, sig)
        }
        // A blocked signal mask is inherited across exec: whoever started us may have blocked them.
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
    }
}
