/// Just enough protobuf wire format for the few messages the installer exchanges with containerd:
/// varints and length-delimited fields (strings, bytes, sub-messages, map entries).
public enum ProtobufCodec {
    /// One decoded field.
    public enum Value: Sendable, Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    /// A field number and its value, in wire order.
    public struct Field: Sendable, Equatable {
        public var number: Int
        public var value: Value
    }

    /// Raised for truncated or malformed input.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "protobuf: \(reason)" }
    }

    // MARK: encoding

    public static func encodeVarint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            out.append(byte)
        } while value != 0
        return out
    }

    public static func encodeBool(field: Int, _ value: Bool) -> [UInt8] {
        encodeVarint(UInt64(field << 3)) + [value ? 1 : 0]
    }

    public static func encodeBytes(field: Int, _ bytes: [UInt8]) -> [UInt8] {
        encodeVarint(UInt64(field << 3 | 2)) + encodeVarint(UInt64(bytes.count)) + bytes
    }

    public static func encodeString(field: Int, _ text: String) -> [UInt8] {
        encodeBytes(field: field, Array(text.utf8))
    }

    // MARK: decoding

    static func decodeVarint(_ bytes: [UInt8], _ index: inout Int) throws(DecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count else { throw DecodingError(reason: "truncated varint") }
            guard shift < 64 else { throw DecodingError(reason: "varint too long") }
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Splits a message into its fields (unknown fields included, in order).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> [Field] {
        var fields: [Field] = []
        var index = 0
        while index < bytes.count {
            let key = try decodeVarint(bytes, &index)
            let number = Int(key >> 3)
            guard number > 0 else { throw DecodingError(reason: "field number 0") }
            switch key & 7 {
            case 0:
                fields.append(Field(number: number, value: .varint(try decodeVarint(bytes, &index))))
            case 1:
                guard index + 8 <= bytes.count else { throw DecodingError(reason: "truncated fixed64") }
                var v: UInt64 = 0
                for i in 0..<8 { v |= UInt64(bytes[index + i]) << (8 * UInt64(i)) }
                index += 8
                fields.append(Field(number: number, value: .fixed64(v)))
            case 2:
                let length = try decodeVarint(bytes, &index)
                guard length <= UInt64(bytes.count - index) else {
                    throw DecodingError(reason: "length \(length) exceeds the remaining \(bytes.count - index) bytes")
                }
                let end = index + Int(length)
                fields.append(Field(number: number, value: .bytes(Array(bytes[index..<end]))))
                index = end
            case 5:
                guard index + 4 <= bytes.count else { throw DecodingError(reason: "truncated fixed32") }
                var v: UInt32 = 0
                for i in 0..<4 { v |= UInt32(bytes[index + i]) << (8 * UInt32(i)) }
                index += 4
                fields.append(Field(number: number, value: .fixed32(v)))
            default:
                throw DecodingError(reason: "unsupported wire type \(key & 7)")
            }
        }
        return fields
    }

    /// The first length-delimited field `number` as UTF-8 text.
    public static func string(_ fields: [Field], _ number: Int) -> String? {
        for field in fields where field.number == number {
            if case .bytes(let b) = field.value { return String(decoding: b, as: UTF8.self) }
        }
        return nil
    }

    /// Every length-delimited field `number` (repeated fields, map entries).
    public static func allBytes(_ fields: [Field], _ number: Int) -> [[UInt8]] {
        fields.compactMap { field in
            guard field.number == number, case .bytes(let b) = field.value else { return nil }
            return b
        }
    }

    /// Decodes a `map<string,string>` field (repeated entries with key = 1, value = 2).
    public static func stringMap(_ fields: [Field], _ number: Int) throws(DecodingError) -> [String: String] {
        var map: [String: String] = [:]
        for entry in allBytes(fields, number) {
            let entryFields = try decode(entry)
            map[string(entryFields, 1) ?? ""] = string(entryFields, 2) ?? ""
        }
        return map
    }
}

extension ProtobufCodec {
    /// A varint field (enums, uint32, int64 ≥ 0); omitted when zero, as proto3 does.
    public static func encodeUInt(field: Int, _ value: UInt64) -> [UInt8] {
        value == 0 ? [] : encodeVarint(UInt64(field << 3)) + encodeVarint(value)
    }

    /// A sub-message field; omitted when `nil`.
    public static func encodeMessage(field: Int, _ message: [UInt8]?) -> [UInt8] {
        message.map { encodeBytes(field: field, $0) } ?? []
    }

    /// A `map<string,string>` field: one entry (key = 1, value = 2) per pair, in key order.
    public static func encodeStringMap(field: Int, _ map: [String: String]) -> [UInt8] {
        map.sorted { $0.key < $1.key }.flatMap { key, value in
            encodeBytes(field: field, encodeString(field: 1, key) + encodeString(field: 2, value))
        }
    }

    /// The first varint field `number` (0 when absent, as proto3 defaults).
    public static func varint(_ fields: [Field], _ number: Int) -> UInt64 {
        for field in fields where field.number == number {
            if case .varint(let v) = field.value { return v }
        }
        return 0
    }
}
