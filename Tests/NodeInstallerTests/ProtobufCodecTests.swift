import Foundation
@testable import NodeInstaller
import Testing

@Suite struct ProtobufCodecTests {
    @Test func varintsRoundTrip() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, 16_384, UInt64(UInt32.max), UInt64.max] {
            var index = 0
            let bytes = ProtobufCodec.encodeVarint(value)
            #expect(try ProtobufCodec.decodeVarint(bytes, &index) == value)
            #expect(index == bytes.count)
        }
        #expect(ProtobufCodec.encodeVarint(300) == [0xAC, 0x02])
    }

    @Test func verboseStatusRequestIsTwoBytes() {
        #expect(ProtobufCodec.encodeBool(field: 1, true) == [0x08, 0x01])
    }

    @Test func truncatedInputIsAnErrorNotACrash() {
        #expect(throws: ProtobufCodec.DecodingError.self) { try ProtobufCodec.decode([0x0A, 0x05, 0x61]) }
        #expect(throws: ProtobufCodec.DecodingError.self) { try ProtobufCodec.decode([0x08, 0x80]) }
        #expect(throws: ProtobufCodec.DecodingError.self) { try ProtobufCodec.decode([0x0B]) }
    }

    @Test func decodesAVersionResponse() throws {
        let bytes = ProtobufCodec.encodeString(field: 1, "1.6.20~ds1") + ProtobufCodec.encodeString(field: 2, "rev")
        let fields = try ProtobufCodec.decode(bytes)
        #expect(ProtobufCodec.string(fields, 1) == "1.6.20~ds1")
        #expect(ProtobufCodec.string(fields, 2) == "rev")
    }

    @Test func decodesACRIStatusResponseWithConfigJSONAndHandlers() throws {
        let condition = ProtobufCodec.encodeString(field: 1, "RuntimeReady") + ProtobufCodec.encodeBool(field: 2, true)
        let runtimeStatus = ProtobufCodec.encodeBytes(field: 1, condition)
        let config = #"{"containerd":{"runtimes":{"spin":{"runtimeType":"io.containerd.spin.v2","options":null},"crun":{"runtimeType":"io.containerd.runc.v2","options":{"BinaryName":"/opt/kwasm/bin/crun"}}}}}"#
        let entry = ProtobufCodec.encodeString(field: 1, "config") + ProtobufCodec.encodeString(field: 2, config)
        let handler = ProtobufCodec.encodeString(field: 1, "spin")
        let response = ProtobufCodec.encodeBytes(field: 1, runtimeStatus) + ProtobufCodec.encodeBytes(field: 2, entry)
            + ProtobufCodec.encodeBytes(field: 3, handler)
        let status = try ContainerdAPI.parseStatus(response)
        #expect(status.conditions["RuntimeReady"] == true)
        #expect(status.runtimes["spin"]?.runtimeType == "io.containerd.spin.v2")
        #expect(status.runtimes["crun"]?.binaryName == "/opt/kwasm/bin/crun")
        #expect(status.handlerNames == ["spin"])

        let crun = RuntimeCatalog.Entry(name: "crun-wasmedge", handler: "crun", kind: "oci-binary", version: "1",
                                        runtimeType: "io.containerd.runc.v2", files: [.init(path: "bin/crun", sha256: String(repeating: "a", count: 64))])
        #expect(RuntimeVerifier.problems(status, expected: [crun], installDir: "/opt/kwasm", present: true).isEmpty)
        #expect(RuntimeVerifier.problems(status, expected: [crun], installDir: "/other", present: true).count == 1)
        #expect(RuntimeVerifier.problems(status, expected: [crun], installDir: "/opt/kwasm", present: false) == ["handler crun is still loaded"])
    }
}
