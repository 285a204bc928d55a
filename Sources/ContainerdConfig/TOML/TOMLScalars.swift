/// TOML 1.0 integers and floats.
enum TOMLNumber {
    static func parse(_ text: String) -> TOMLValue? {
        let s = Array(text.utf8)
        guard !s.isEmpty else { return nil }
        if let special = special(text) { return .float(special) }
        if s.count > 2, s[0] == UInt8(ascii: "0"), let radix = radix(s[1]) {
            guard let digits = cleanDigits(s[2...], radix: radix, allowLeadingZero: true),
                  let value = Int64(digits, radix: radix) else { return nil }
            return .integer(value)
        }
        var body = s[...]
        var sign = ""
        if let first = body.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            sign = first == UInt8(ascii: "-") ? "-" : ""
            body = body.dropFirst()
        }
        guard let first = body.first, first >= 0x30 && first <= 0x39 else { return nil }
        if body.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) {
            guard let digits = cleanDigits(body, radix: 10, allowLeadingZero: false),
                  let value = Int64(sign + digits) else { return nil }
            return .integer(value)
        }
        // Float: int part, optional .frac, optional exponent.
        var intPart = body
        var fracPart: ArraySlice<UInt8>?
        var expPart: ArraySlice<UInt8>?
        if let e = body.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            intPart = body[body.startIndex..<e]
            expPart = body[(e + 1)...]
        }
        if let dot = intPart.firstIndex(of: UInt8(ascii: ".")) {
            fracPart = intPart[(dot + 1)...]
            intPart = intPart[intPart.startIndex..<dot]
        }
        guard let intDigits = cleanDigits(intPart, radix: 10, allowLeadingZero: false) else { return nil }
        var literal = sign + intDigits
        if let fracPart {
            guard let frac = cleanDigits(fracPart, radix: 10, allowLeadingZero: true) else { return nil }
            literal += "." + frac
        }
        if var expPart {
            var expSign = ""
            if let f = expPart.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
                expSign = f == UInt8(ascii: "-") ? "-" : "+"
                expPart = expPart.dropFirst()
            }
            guard let exp = cleanDigits(expPart, radix: 10, allowLeadingZero: true) else { return nil }
            literal += "e" + expSign + exp
        }
        guard fracPart != nil || expPart != nil, let value = Double(literal) else { return nil }
        return .float(value)
    }

    private static func special(_ text: String) -> Double? {
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: return nil
        }
    }

    private static func radix(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "x"): return 16
        case UInt8(ascii: "o"): return 8
        case UInt8(ascii: "b"): return 2
        default: return nil
        }
    }

    /// Digits with single underscores between digits; nil if malformed.
    private static func cleanDigits(_ s: ArraySlice<UInt8>, radix: Int, allowLeadingZero: Bool) -> String? {
        guard let first = s.first, let last = s.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else { return nil }
        var out = ""
        var previousUnderscore = false
        for c in s {
            if c == UInt8(ascii: "_") {
                if previousUnderscore { return nil }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            let digit: Int?
            switch c {
            case 0x30...0x39: digit = Int(c - 0x30)
            case 0x41...0x46: digit = Int(c - 0x41 + 10)
            case 0x61...0x66: digit = Int(c - 0x61 + 10)
            default: digit = nil
            }
            guard let digit, digit < radix else { return nil }
            out.append(Character(Unicode.Scalar(c)))
        }
        if !allowLeadingZero, out.count > 1, out.first == "0" { return nil }
        return out
    }
}

/// TOML 1.0 date/time forms (validated, kept as text).
enum TOMLDateTime {
    static func isDate<C: Collection>(_ s: C) -> Bool where C.Element == UInt8 {
        let a = Array(s)
        guard a.count == 10, a[4] == UInt8(ascii: "-"), a[7] == UInt8(ascii: "-") else { return false }
        guard let y = number(a[0..<4]), let m = number(a[5..<7]), let d = number(a[8..<10]) else { return false }
        _ = y
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1]
    }

    static func isTime(_ a: ArraySlice<UInt8>) -> Bool {
        guard a.count >= 8 else { return false }
        let s = Array(a)
        guard s[2] == UInt8(ascii: ":"), s[5] == UInt8(ascii: ":"),
              let h = number(s[0..<2]), let m = number(s[3..<5]), let sec = number(s[6..<8]),
              h < 24, m < 60, sec <= 60 else { return false }
        if s.count == 8 { return true }
        guard s[8] == UInt8(ascii: "."), s.count > 9 else { return false }
        return s[9...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func isValid(_ text: String) -> Bool {
        let s = Array(text.utf8)
        if isDate(s) { return true }
        if isTime(s[...]) { return true }
        guard s.count >= 19, isDate(s[0..<10]) else { return false }
        let separator = s[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == 0x20 else { return false }
        var rest = s[11...]
        if let last = rest.last, last == UInt8(ascii: "Z") || last == UInt8(ascii: "z") {
            rest = rest.dropLast()
        } else if rest.count > 6 {
            let offset = rest.suffix(6)
            let o = Array(offset)
            if (o[0] == UInt8(ascii: "+") || o[0] == UInt8(ascii: "-")) && o[3] == UInt8(ascii: ":") {
                guard let oh = number(o[1..<3]), let om = number(o[4..<6]), oh < 24, om < 60 else { return false }
                rest = rest.dropLast(6)
            }
        }
        return isTime(rest)
    }

    private static func number(_ s: ArraySlice<UInt8>) -> Int? {
        guard !s.isEmpty, s.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return s.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
