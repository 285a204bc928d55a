import Foundation

/// Writes a POSIX ustar archive in memory: enough for OCI layers and image layouts (short names,
/// regular files, directories, symlinks).
public struct TarWriter: Sendable {
    public private(set) var data = Data()

    public init() {}

    public mutating func addDirectory(_ name: String, mode: Int = 0o755) {
        appendHeader(name: name.hasSuffix("/") ? name : name + "/", mode: mode, size: 0, type: "5", link: "")
    }

    public mutating func addFile(_ name: String, contents: Data, mode: Int = 0o644) {
        appendHeader(name: name, mode: mode, size: contents.count, type: "0", link: "")
        data.append(contents)
        let padding = (512 - contents.count % 512) % 512
        data.append(Data(count: padding))
    }

    public mutating func addSymlink(_ name: String, target: String) {
        appendHeader(name: name, mode: 0o777, size: 0, type: "2", link: target)
    }

    /// The archive with its two terminating zero blocks.
    public func finished() -> Data {
        data + Data(count: 1024)
    }

    private mutating func appendHeader(name: String, mode: Int, size: Int, type: Character, link: String) {
        precondition(name.utf8.count <= 100 && link.utf8.count <= 100, "tar name too long: \(name)")
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count))
                + String(value, radix: 8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        put(String(type), at: 156, width: 1)
        put(link, at: 157, width: 100)
        put("ustar\u{0}", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("root", at: 265, width: 32)
        put("root", at: 297, width: 32)
        for i in 148..<156 { header[i] = 0x20 }
        let checksum = header.reduce(0) { $0 + Int($1) }
        let text = String(checksum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - text.count)) + text, at: 148, width: 6)
        header[154] = 0
        header[155] = 0x20
        data.append(contentsOf: header)
    }
}
