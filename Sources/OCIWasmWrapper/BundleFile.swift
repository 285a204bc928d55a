#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A bundle's `config.json`, read and replaced with plain system calls. The replacement is written
/// next to it and renamed over it, so runc never reads half a file. No fsync: the bundle is runtime
/// state that containerd recreates, and a sync per container start costs more than it protects.
enum BundleFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ operation: String, _ path: String) {
            description = "\(operation) \(path): \(String(cString: strerror(errno)))"
        }
    }

    static func load(_ path: String) throws(Failure) -> (bytes: [UInt8], mode: mode_t) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure("open", path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure("stat", path) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(Int(status.st_size), 4096) + 1)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw Failure("read", path) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return (bytes, status.st_mode & 0o7777)
    }

    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) throws(Failure) {
        let temporary = path + ".kwasm-tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw Failure("create", temporary) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                let failure = Failure("write", temporary)
                close(descriptor)
                unlink(temporary)
                throw failure
            }
            offset += written
        }
        guard close(descriptor) == 0 else { throw Failure("close", temporary) }
        guard rename(temporary, path) == 0 else { throw Failure("rename to", path) }
    }
}
