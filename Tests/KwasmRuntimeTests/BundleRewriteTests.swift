import FoundationEssentials
import OCIWasmWrapper
import Testing

/// What kwasm-oci does to a bundle's config.json, and how it reads runc's command line.
@Suite struct BundleRewriteTests {
    func spec(_ json: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) }

    @Test func aWasmEntrypointGetsTheRunnerInFrontAndMountedReadOnly() throws {
        let original = try spec(#"{"process":{"args":["/hello.wasm","x"],"cwd":"/"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"linux":{"resources":{"memory":{"limit":9223372036854771712}}}}"#)
        let rewritten = try #require(WasmBundleRewrite(runnerPath: "/opt/kwasm/bin/kwasm-wasi").rewrite(original))
        #expect(rewritten["process"]?["args"] == .array([.string("/.kwasm/kwasm-wasi"), .string("/hello.wasm"), .string("x")]))
        let mounts = try #require(rewritten["mounts"]?.arrayValue)
        #expect(mounts.count == 2)
        #expect(mounts.last?["source"] == .string("/opt/kwasm/bin/kwasm-wasi"))
        #expect(mounts.last?["options"]?.arrayValue?.contains(.string("ro")) == true)
        #expect(rewritten["linux"] == original["linux"], "limits untouched, all 64 bits")
        #expect(WasmBundleRewrite(runnerPath: "/r").rewrite(rewritten) == nil, "a second create changes nothing")
    }

    @Test func aDynamicRunnerStartsThroughItsOwnLoader() throws {
        let original = try spec(#"{"process":{"args":["/m.wasm"]},"annotations":{"module.wasm.image/variant":"compat"}}"#)
        let rewrite = WasmBundleRewrite(runnerPath: "/k/kwasm-wasi",
                                        libraries: ["/usr/lib/libswiftCore.so", "/lib64/ld-linux-x86-64.so.2"])
        let rewritten = try #require(rewrite.rewrite(original))
        #expect(rewritten["process"]?["args"]?.arrayValue?.compactMap(\.stringValue)
            == ["/.kwasm/lib/ld-linux-x86-64.so.2", "--library-path", "/.kwasm/lib", "/.kwasm/kwasm-wasi", "/m.wasm"])
        #expect(rewritten["mounts"]?.arrayValue?.compactMap { $0["destination"]?.stringValue }
            == ["/.kwasm/kwasm-wasi", "/.kwasm/lib/libswiftCore.so", "/.kwasm/lib/ld-linux-x86-64.so.2"])
    }

    @Test func theCompatAnnotationMarksAWasmContainerWithAnyEntrypoint() throws {
        let annotated = try spec(#"{"process":{"args":["/app/main"]},"annotations":{"module.wasm.image/variant":"compat-smart"}}"#)
        #expect(WasmBundleRewrite.isWasmContainer(annotated))
        let plain = try spec(#"{"process":{"args":["/bin/sh","-c","echo"]},"annotations":{"io.kubernetes.cri.container-type":"container"}}"#)
        #expect(!WasmBundleRewrite.isWasmContainer(plain))
        #expect(WasmBundleRewrite(runnerPath: "/r").rewrite(plain) == nil)
        let pause = try spec(#"{"process":{"args":["/pause"]},"annotations":{"module.wasm.image/variant":"compat","io.kubernetes.cri.container-type":"sandbox"}}"#)
        #expect(!WasmBundleRewrite.isWasmContainer(pause), "the pod's pause container gets the pod annotation too")
    }

    @Test func runcCommandLinesAreReadAsTheShimWritesThem() {
        let create = RuncCommandLine(["--root", "/run/containerd/runc/k8s.io", "--log", "/x/log.json", "--log-format", "json",
                                      "create", "--bundle", "/run/b", "--pid-file", "/run/b/init.pid", "abc"])
        #expect(create == RuncCommandLine(subcommand: "create", bundle: "/run/b"))
        #expect(RuncCommandLine(["--systemd-cgroup", "create", "--bundle=/b2", "id"]).bundle == "/b2")
        #expect(RuncCommandLine(["--root", "/r", "kill", "abc", "15"]) == RuncCommandLine(subcommand: "kill", bundle: nil))
        #expect(RuncCommandLine(["features"]).subcommand == "features")
    }
}
