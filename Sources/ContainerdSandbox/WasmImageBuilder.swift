import Foundation

extension OCIImageBuilder {
    /// Writes an OCI image layout tarball whose only file is a wasm module, `/<name>`, also its
    /// entrypoint — the shape wasm images have (`FROM scratch`, `COPY x.wasm /`, `ENTRYPOINT ["/x.wasm"]`).
    /// The `module.wasm.image/variant: compat` annotation is on the manifest, as `buildah --annotation`
    /// puts it; runtimes recognise the container by its `.wasm` entrypoint or a pod annotation.
    @discardableResult
    public static func writeWasmImage(module: Data, fileName: String = "module.wasm", reference: String,
                                      to path: String) throws -> String {
        var layer = TarWriter()
        layer.addFile(fileName, contents: module, mode: 0o755)
        let layerBytes = layer.finished()
        let layerDigest = try sha256Hex(layerBytes)
        let config = """
        {"architecture":"\(goArchitecture)","os":"linux","config":{"Entrypoint":["/\(fileName)"],"WorkingDir":"/"},\
        "rootfs":{"type":"layers","diff_ids":["sha256:\(layerDigest)"]}}
        """
        return try writeLayout(layer: layerBytes, layerDigest: layerDigest, config: Data(config.utf8), reference: reference,
                               manifestAnnotations: #","annotations":{"module.wasm.image/variant":"compat"}"#, to: path)
    }

    static func writeLayout(layer: Data, layerDigest: String, config: Data, reference: String,
                            manifestAnnotations: String, to path: String) throws -> String {
        let configDigest = try sha256Hex(config)
        let manifest = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\(configDigest)","size":\(config.count)},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:\(layerDigest)","size":\(layer.count)}]\
        \(manifestAnnotations)}
        """
        let manifestBytes = Data(manifest.utf8)
        let manifestDigest = try sha256Hex(manifestBytes)
        let tag = reference.split(separator: ":").last.map(String.init) ?? "latest"
        let index = """
        {"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",\
        "digest":"sha256:\(manifestDigest)","size":\(manifestBytes.count),\
        "annotations":{"org.opencontainers.image.ref.name":"\(tag)","io.containerd.image.name":"\(reference)"}}]}
        """
        var layout = TarWriter()
        layout.addFile("oci-layout", contents: Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        layout.addFile("index.json", contents: Data(index.utf8))
        layout.addDirectory("blobs")
        layout.addDirectory("blobs/sha256")
        layout.addFile("blobs/sha256/\(layerDigest)", contents: layer)
        layout.addFile("blobs/sha256/\(configDigest)", contents: config)
        layout.addFile("blobs/sha256/\(manifestDigest)", contents: manifestBytes)
        try layout.finished().write(to: URL(fileURLWithPath: path))
        return reference
    }
}
