/// Reads a runc command line as containerd's runc shim writes it
/// (`runc [global options] SUBCOMMAND [options] ID`): which subcommand, and for `create`, the bundle.
public struct RuncCommandLine: Equatable, Sendable {
    public var subcommand: String?
    public var bundle: String?

    /// runc's global options that take a value (all others are booleans).
    static let valuedGlobalOptions: Set<String> = ["--root", "--log", "--log-format", "--criu", "--rootless"]

    public init(subcommand: String?, bundle: String?) {
        self.subcommand = subcommand
        self.bundle = bundle
    }

    public init(_ arguments: [String]) {
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-") {
            let option = arguments[index]
            index += Self.valuedGlobalOptions.contains(option) ? 2 : 1
        }
        subcommand = index < arguments.count ? arguments[index] : nil
        guard subcommand == "create" || subcommand == "run" else { return }
        var rest = arguments.dropFirst(index + 1)[...]
        while let option = rest.first {
            rest = rest.dropFirst()
            if option == "--bundle" || option == "-b" {
                bundle = rest.first
                rest = rest.dropFirst()
            } else if option.hasPrefix("--bundle=") {
                bundle = String(option.dropFirst("--bundle=".count))
            }
        }
    }
}
