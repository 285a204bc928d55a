/// Parses Go-style durations as Kubernetes users write them in flags: `10m`, `1h30m`, `90s`,
/// `500ms`, `0`; a bare number means seconds.
public enum DurationParser {
    public struct InvalidDuration: Error, CustomStringConvertible, Equatable {
        public let text: String
        public var description: String { "invalid duration \"\(text)\" (examples: 10m, 1h30m, 90s, 0)" }
    }

    public static func parse(_ text: String) throws(InvalidDuration) -> Duration {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw InvalidDuration(text: text) }
        if let seconds = Double(trimmed) {
            guard seconds >= 0, seconds.isFinite else { throw InvalidDuration(text: text) }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw InvalidDuration(text: text) }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else {
                throw InvalidDuration(text: text)
            }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return .milliseconds(Int64((total * 1000).rounded()))
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}

extension Duration {
    /// Seconds as a Double, for arithmetic with Foundation-free clocks.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
