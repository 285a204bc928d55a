/// Implementation behind ``ConfigEngine``.
///
/// Every host file we touch is handled the same way: undo whatever an earlier run did (managed
/// block, imports edit, taken-over lines) to recover the user's own bytes, then apply the current
/// definitions to those bytes. Both steps are deterministic, so re-applying is byte-identical and
/// uninstall is exactly the undo step.
struct Planner {
    let snapshot: HostConfigSnapshot
    var layout: DistroLayout { snapshot.layout }

    // MARK: user files

    /// A host file split into the user's own bytes and what an earlier run of ours recorded.
    struct UserFile {
        var path: String
        /// Current bytes on the host (nil: missing).
        var current: [UInt8]?
        /// The user's bytes with all our edits undone, indexed from 0: a prefix of `current` when only our block
        /// at the end was removed (a large config is not copied for that).
        var base: ArraySlice<UInt8>
        var metadata: ManagedBlock.Metadata
        var hasBlock: Bool
        var tookOver: Set<String>
    }

    func userFile(_ path: String, backup: [String: [UInt8]] = [:]) throws(ConfigError) -> UserFile {
        let current = snapshot.contents(of: path)
        guard let current else {
            return UserFile(path: path, current: nil, base: [], metadata: .init(), hasBlock: false, tookOver: [])
        }
        let found: ManagedBlock.Found?
        do {
            found = try ManagedBlock.find(in: current, file: path)
        } catch {
            if let saved = backup[path] {
                return UserFile(path: path, current: current, base: saved[...], metadata: .init(), hasBlock: true, tookOver: [])
            }
            throw error
        }
        guard let found else {
            return UserFile(path: path, current: current, base: current[...], metadata: .init(), hasBlock: false, tookOver: [])
        }
        var base = ManagedBlock.remove(found, from: current)
        let tookOver = tookOverHandlers(current[found.range])
        if found.metadata.importsEntry != nil || found.metadata.importsLine != nil || !tookOver.isEmpty {
            var edited = Array(base)
            if let entry = found.metadata.importsEntry { edited = undoImportsEntry(entry, in: edited) }
            if let line = found.metadata.importsLine { edited = undoImportsLine(line, in: edited) }
            if !tookOver.isEmpty { edited = ManagedBlock.restoreTakenOverLines(edited) }
            base = edited[...]
        }
        return UserFile(path: path, current: current, base: base, metadata: found.metadata, hasBlock: true, tookOver: tookOver)
    }

    private func tookOverHandlers(_ block: ArraySlice<UInt8>) -> Set<String> {
        let marker = ManagedBlock.metaPrefix + "took-over "
        var result = Set<String>()
        for line in String(decoding: block, as: UTF8.self).split(separator: "\n") {
            let clean = line.hasSuffix("\r") ? line.dropLast() : line
            if clean.hasPrefix(marker) { result.insert(String(clean.dropFirst(marker.count))) }
        }
        return result
    }

    func parse(_ bytes: [UInt8], path: String) throws(ConfigError) -> TOMLDocument {
        try parse(bytes[...], path: path)
    }

    /// Parses `bytes` in place (see ``TOMLParser/parse(_:)-(ArraySlice<UInt8>)``).
    func parse(_ bytes: ArraySlice<UInt8>, path: String) throws(ConfigError) -> TOMLDocument {
        do {
            return try TOMLParser.parse(bytes)
        } catch {
            if let language = TemplateText.language(of: Array(bytes)) {
                throw ConfigError(.notAContainerdConfig, file: path, line: error.line, column: error.column,
                                  reason: "not a containerd config: this looks like a \(language) template (invalid TOML until rendered: \(error.reason)); configure the tool that renders it instead")
            }
            throw ConfigError(.parseError, file: path, line: error.line, column: error.column,
                              reason: "invalid TOML: \(error.reason)")
        }
    }

    // MARK: install

    func install(definitions: [RuntimeDefinition], options: InstallOptions) throws(ConfigError) -> ConfigPlan {
        try RuntimeTables.validate(definitions)
        switch layout.distro {
        case .default, .microk8s: return try installMainConfig(definitions, options)
        case .k0s: return try installK0s(definitions)
        case .k3s, .rke2: return try installRancher(definitions)
        }
    }

    /// default and MicroK8s: schema 1/2 (containerd 1.x) → our block in the main file;
    /// schema 3 (containerd 2.x, default distro) → drop-in + imports entry.
    private func installMainConfig(_ definitions: [RuntimeDefinition], _ options: InstallOptions) throws(ConfigError) -> ConfigPlan {
        let mainPath = layout.mainConfigPath
        var main = try userFile(mainPath)
        var createdBase = main.metadata.createdBase
        if main.current == nil {
            main.base = try defaultsForMissingMain()[...]
            createdBase = ManagedBlock.digest(main.base)
        }
        let doc = try parse(main.base, path: mainPath)
        let schema = try ConfigSchema.detect(doc, file: mainPath)
        let useDropIn = schema == 3 && layout.distro == .default && layout.dropInPath != nil
        let pluginID = ConfigSchema.criPluginID(schema: schema, doc: doc, version: snapshot.containerdVersion)
        let runtimesPath = ConfigSchema.runtimesPath(pluginID: pluginID)
        if !useDropIn, let obstacle = doc.obstacle(on: runtimesPath) {
            throw ConfigError(.unsupportedLayout, file: mainPath, line: obstacle.line,
                              reason: "\(obstacle.reason); rewrite it as [\(TOMLKey.render(runtimesPath))] sub-tables so runtimes can be added")
        }
        if schema == 2 {
            // A file holding both CRI ids: the same handler under the other id is a conflict too.
            let other = pluginID == ConfigSchema.v2PluginID ? ConfigSchema.v3PluginID : ConfigSchema.v2PluginID
            try checkConflicts(definitions, doc: doc, runtimesPath: ConfigSchema.runtimesPath(pluginID: other), path: mainPath)
        }
        let takeOver = main.tookOver.union(options.takeOver ? Set(definitions.map(\.handler)) : [])
        var (base, tookOver) = try resolveConflicts(definitions, doc: doc, runtimesPath: runtimesPath,
                                                    path: mainPath, takeOver: takeOver)
        let inherited = RuntimeTables.inheritedOptions(from: doc, runtimesPath: runtimesPath)
        let body = RuntimeTables.render(definitions, runtimesPath: runtimesPath, schema: schema,
                                        version: snapshot.containerdVersion, inherited: inherited,
                                        includeDefaultRuntime: RuntimeTables.needsDefaultRuntime(doc, runtimesPath: runtimesPath))
        var facts = commonFacts(createdBase: createdBase, tookOver: tookOver)
        var files: [PlannedFile] = []

        if useDropIn, let dropInPath = layout.dropInPath {
            files += try dropInFile(dropInPath, schema: 3, body: body, definitions: definitions)
            // Take-over may have shifted bytes: locate the imports entry in the edited text.
            let edited = tookOver.isEmpty ? doc : try parse(base, path: mainPath)
            try importDropIn(dropInPath, into: &base, facts: &facts, edited: edited, definitions: definitions, runtimesPath: runtimesPath)
            let newMain: [UInt8]
            if facts.isEmpty {
                newMain = Array(base)
            } else {
                newMain = ManagedBlock.append(body: ["# Wasm runtimes are in \(dropInPath) (imported above)."],
                                              metadata: facts, to: Array(base))
            }
            _ = try validated(newMain, path: mainPath)
            files += plannedFile(main, newContents: FileBytes(newMain), created: createdBase != nil)
            // Write order: the drop-in must exist before the main file imports it.
        } else {
            facts.insert("runtimes " + definitions.map(\.handler).sorted().joined(separator: ","), at: 0)
            let block = ManagedBlock.block(body: body, metadata: facts, after: base)
            if tookOver.isEmpty {
                // `base` is the parsed file: check only the block, and let go of the document before the copy below.
                try validated(appending: block, to: consume doc, path: mainPath)
            } else {
                _ = try validated(Array(base) + block, path: mainPath)
            }
            // Converged (status, a repeated install): no second copy of a large file just to compare it.
            if main.current.map({ ManagedBlock.isAppended(block, to: base, in: $0) }) != true {
                // The file read from disk and our block, written part by part: no joined copy of a large file.
                files += plannedFile(main, newContents: FileBytes(parts: [base, block[...]]), created: createdBase != nil)
            }
            // A drop-in from an earlier install on containerd 2.x that is no longer used.
            files += try removeOwnDropIn()
        }
        return ConfigPlan(files: files, schema: schema, effectiveConfigPath: mainPath, criPluginID: pluginID)
    }

    /// The base for a main config that does not exist yet: `containerd config default` (default distro only).
    private func defaultsForMissingMain() throws(ConfigError) -> [UInt8] {
        let mainPath = layout.mainConfigPath
        guard layout.distro == .default else {
            throw ConfigError(.missingDefaults, file: mainPath, reason: "the MicroK8s containerd template is missing")
        }
        guard let defaults = snapshot.defaultConfig, !defaults.isEmpty else {
            throw ConfigError(.missingDefaults, file: mainPath,
                              reason: "config file is missing and no `containerd config default` output was supplied; refusing to write a config without containerd's CRI defaults")
        }
        return defaults
    }

    /// Makes the main config (`base`, parsed as `edited`) import `dropInPath`, unless its imports already cover it,
    /// recording the edit in `facts`; refuses when another imported drop-in defines one of our runtimes.
    private func importDropIn(_ dropInPath: String, into base: inout ArraySlice<UInt8>, facts: inout [String], edited: TOMLDocument,
                              definitions: [RuntimeDefinition], runtimesPath: [String]) throws(ConfigError) {
        let mainPath = layout.mainConfigPath
        let imports = edited.rootEntry("imports")
        let covered: Bool
        switch imports?.value {
        case nil: covered = false
        case .array(let items)?:
            covered = items.contains { item in
                item.stringValue.map { ImportGlob.covers($0, path: dropInPath, configPath: mainPath) } ?? false
            }
        default:
            throw ConfigError(.parseError, file: mainPath, line: imports?.firstLine, reason: "root key 'imports' must be an array of strings")
        }
        // Other drop-ins the main config imports (the installer puts them in the snapshot):
        // containerd 2.x merges them, so a runtime of ours defined there is a conflict too.
        if case .array(let items)? = imports?.value {
            let globs = items.compactMap(\.stringValue)
            for (path, bytes) in snapshot.files.sorted(by: { $0.key < $1.key }) where path != dropInPath && path != mainPath {
                guard let bytes, globs.contains(where: { ImportGlob.covers($0, path: path, configPath: mainPath) }) else { continue }
                let other = try parse(bytes, path: path)
                try checkConflicts(definitions, doc: other, runtimesPath: runtimesPath, path: path)
            }
        }
        guard !covered else { return }
        let quoted = TOMLString.basic(dropInPath)
        if let imports, let open = imports.arrayOpenBracket {
            let insertion = imports.arrayLastElementEnd.map { ($0, ", " + quoted) } ?? (open + 1, quoted)
            base.insert(contentsOf: Array(insertion.1.utf8), at: insertion.0)
            facts.append("imports-entry " + insertion.1)
        } else {
            let line = "imports = [\(quoted)]"
            let at = base.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            base.insert(contentsOf: Array((line + ManagedBlock.lineEnding(of: base)).utf8), at: at)
            facts.append("imports-line " + line)
        }
    }

    /// k0s: always a drop-in in /etc/k0s/containerd.d (k0s imports and merges it itself).
    private func installK0s(_ definitions: [RuntimeDefinition]) throws(ConfigError) -> ConfigPlan {
        guard let dropInPath = layout.dropInPath else {
            throw ConfigError(.unsupportedLayout, reason: "k0s layout needs a drop-in path")
        }
        let mainPath = layout.mainConfigPath
        var doc: TOMLDocument?
        var schema = (snapshot.containerdVersion?.major ?? 1) >= 2 ? 3 : 2
        if let main = snapshot.contents(of: mainPath) {
            let parsed = try parse(main, path: mainPath)
            schema = try ConfigSchema.detect(parsed, file: mainPath)
            doc = parsed
        }
        let pluginID = ConfigSchema.criPluginID(schema: schema, doc: doc, version: snapshot.containerdVersion)
        let runtimesPath = ConfigSchema.runtimesPath(pluginID: pluginID)
        if let doc { try checkConflicts(definitions, doc: doc, runtimesPath: runtimesPath, path: mainPath) }
        let body = RuntimeTables.render(definitions, runtimesPath: runtimesPath, schema: schema,
                                        version: snapshot.containerdVersion,
                                        inherited: RuntimeTables.inheritedOptions(from: doc, runtimesPath: runtimesPath),
                                        includeDefaultRuntime: RuntimeTables.needsDefaultRuntime(doc, runtimesPath: runtimesPath))
        let files = try dropInFile(dropInPath, schema: schema, body: body, definitions: definitions)
        return ConfigPlan(files: files, schema: schema, effectiveConfigPath: dropInPath, criPluginID: pluginID)
    }

    /// k3s / RKE2: they regenerate config.toml on every start, so edit the template (or, where the
    /// rendered config imports `config-v3.toml.d/*.toml`, use a drop-in there).
    private func installRancher(_ definitions: [RuntimeDefinition]) throws(ConfigError) -> ConfigPlan {
        let renderedPath = layout.mainConfigPath
        var renderedDoc: TOMLDocument?
        var schema = (snapshot.containerdVersion?.major ?? 1) >= 2 ? 3 : 2
        if snapshot.contents(of: renderedPath) != nil {
            // The rendered file contains a copy of our block (k3s renders it from the template).
            let own = try userFile(renderedPath)
            let doc = try parse(own.base, path: renderedPath)
            schema = try ConfigSchema.detect(doc, file: renderedPath)
            renderedDoc = doc
        }
        if schema == 3, let dropInPath = layout.dropInPath, imports(dropInPath, renderedDoc) {
            return try rancherDropIn(dropInPath, definitions, renderedDoc: renderedDoc)
        }

        let targetPath = try rancherTemplatePath(schema: schema)
        var template = try userFile(targetPath)
        var createdBase = template.metadata.createdBase
        var blockSchema = schema
        // The config containerd ends up reading, as far as we can see it: k3s's rendering when the
        // template includes its base, else the template itself when it is plain TOML.
        var templateDoc = renderedDoc
        if template.current == nil {
            template.base = Array("{{ template \"base\" . }}\n".utf8)[...]
            createdBase = ManagedBlock.digest(template.base)
        } else {
            let scan = TemplateText.scan(Array(template.base))
            blockSchema = try templateSchema(scan, path: targetPath, renderedSchema: schema)
            if !scan.includesBase { templateDoc = try? TOMLParser.parse(template.base) }
            let runtimesPath = ConfigSchema.runtimesPath(pluginID: ConfigSchema.criPluginID(schema: blockSchema, doc: nil))
            for definition in definitions {
                let path = runtimesPath + [definition.handler]
                if let header = scan.headers.first(where: { $0.path.starts(with: path) }) {
                    throw .runtimeConflict(definition.handler, file: targetPath, line: header.line)
                }
            }
        }
        let pluginID = ConfigSchema.criPluginID(schema: blockSchema, doc: renderedDoc, version: snapshot.containerdVersion)
        let runtimesPath = ConfigSchema.runtimesPath(pluginID: pluginID)
        if let renderedDoc { try checkConflicts(definitions, doc: renderedDoc, runtimesPath: runtimesPath, path: renderedPath) }
        let body = RuntimeTables.render(definitions, runtimesPath: runtimesPath, schema: blockSchema,
                                        version: snapshot.containerdVersion,
                                        inherited: RuntimeTables.inheritedOptions(from: renderedDoc, runtimesPath: runtimesPath),
                                        includeDefaultRuntime: RuntimeTables.needsDefaultRuntime(templateDoc, runtimesPath: runtimesPath))
        var facts = commonFacts(createdBase: createdBase, tookOver: [])
        facts.insert("runtimes " + definitions.map(\.handler).sorted().joined(separator: ","), at: 0)
        // The template is not TOML; validate our block on its own.
        _ = try validated(ManagedBlock.append(body: body, metadata: facts, to: []), path: targetPath)
        let newTemplate = ManagedBlock.append(body: body, metadata: facts, to: Array(template.base))
        var files = plannedFile(template, newContents: FileBytes(newTemplate), created: createdBase != nil)
        files += try removeOwnDropIn()
        return ConfigPlan(files: files, schema: blockSchema, effectiveConfigPath: targetPath, criPluginID: pluginID)
    }

    /// Whether the rendered config's `imports` covers `dropInPath`.
    private func imports(_ dropInPath: String, _ renderedDoc: TOMLDocument?) -> Bool {
        guard case .array(let items)? = renderedDoc?.rootEntry("imports")?.value else { return false }
        return items.contains(where: { $0.stringValue.map { ImportGlob.covers($0, path: dropInPath, configPath: layout.mainConfigPath) } ?? false })
    }

    /// k3s / RKE2 whose rendered schema-3 config imports our drop-in: the runtimes go there, and the templates lose our block.
    private func rancherDropIn(_ dropInPath: String, _ definitions: [RuntimeDefinition],
                               renderedDoc: TOMLDocument?) throws(ConfigError) -> ConfigPlan {
        let runtimesPath = ConfigSchema.runtimesPath(pluginID: ConfigSchema.v3PluginID)
        if let renderedDoc { try checkConflicts(definitions, doc: renderedDoc, runtimesPath: runtimesPath, path: layout.mainConfigPath) }
        let body = RuntimeTables.render(definitions, runtimesPath: runtimesPath, schema: 3,
                                        version: snapshot.containerdVersion,
                                        inherited: RuntimeTables.inheritedOptions(from: renderedDoc, runtimesPath: runtimesPath),
                                        includeDefaultRuntime: RuntimeTables.needsDefaultRuntime(renderedDoc, runtimesPath: runtimesPath))
        var files = try dropInFile(dropInPath, schema: 3, body: body, definitions: definitions)
        for template in [layout.templatePath, layout.templateV3Path].compactMap({ $0 }) {
            files += try removeOwnChanges(template)
        }
        return ConfigPlan(files: files, schema: 3, effectiveConfigPath: dropInPath, criPluginID: ConfigSchema.v3PluginID)
    }

    /// The template to edit: the v3 one if present, else the v2 one if present, else the one matching `schema`.
    private func rancherTemplatePath(schema: Int) throws(ConfigError) -> String {
        guard let v2Template = layout.templatePath else {
            throw ConfigError(.unsupportedLayout, reason: "\(layout.distro.rawValue) layout needs a template path")
        }
        let v3Template = layout.templateV3Path
        if let v3Template, snapshot.contents(of: v3Template) != nil { return v3Template }
        if snapshot.contents(of: v2Template) != nil { return v2Template }
        return schema == 3 ? (v3Template ?? v2Template) : v2Template
    }

    /// The schema containerd reads our block in: the template's own `version`, 1 for a plain template without
    /// one, else that of the rendered config.
    private func templateSchema(_ scan: TemplateText.Scan, path: String, renderedSchema: Int) throws(ConfigError) -> Int {
        if let version = scan.version {
            guard (1...3).contains(version) else {
                throw .unsupportedSchema(version, file: path, line: scan.versionLine)
            }
            return Int(version)
        }
        return scan.includesBase ? renderedSchema : 1  // rendered as-is without a version key: containerd reads schema 1
    }

    // MARK: install helpers

    private func commonFacts(createdBase: String?, tookOver: [String]) -> [String] {
        var facts: [String] = []
        if let createdBase { facts.append("created base=" + createdBase) }
        for handler in tookOver.sorted() { facts.append("took-over " + handler) }
        return facts
    }

    /// The whole drop-in file is ours.
    private func dropInFile(_ path: String, schema: Int, body: [String], definitions: [RuntimeDefinition]) throws(ConfigError) -> [PlannedFile] {
        let existing = try userFile(path)
        if existing.current != nil, !existing.hasBlock {
            throw ConfigError(.unsupportedLayout, file: path, line: 1,
                              reason: "drop-in file exists and was not written by kwasm-operator; refusing to overwrite it")
        }
        let header = Array("# Wasm runtimes for containerd, written by kwasm-operator; deleted on uninstall.\nversion = \(schema)\n".utf8)
        let facts = ["created base=" + ManagedBlock.digest(header),
                     "runtimes " + definitions.map(\.handler).sorted().joined(separator: ",")]
        let contents = ManagedBlock.append(body: body, metadata: facts, to: header)
        _ = try validated(contents, path: path)
        var file = existing
        file.base = header[...]
        return plannedFile(file, newContents: FileBytes(contents), created: true)
    }

    private func validated(_ bytes: [UInt8], path: String) throws(ConfigError) -> TOMLDocument {
        do {
            return try TOMLParser.parse(bytes)
        } catch {
            throw ConfigError(.unsupportedLayout, file: path, line: error.line, column: error.column,
                              reason: "adding the runtimes would make the file invalid TOML (\(error.reason)); nothing was changed")
        }
    }

    /// ``validated(_:path:)`` of `doc`'s bytes followed by `block`, parsing only `block`.
    private func validated(appending block: [UInt8], to doc: consuming TOMLDocument, path: String) throws(ConfigError) {
        do {
            try TOMLParser.validateAppending(block, to: doc)
        } catch {
            throw ConfigError(.unsupportedLayout, file: path, line: error.line, column: error.column,
                              reason: "adding the runtimes would make the file invalid TOML (\(error.reason)); nothing was changed")
        }
    }

    private func checkConflicts(_ definitions: [RuntimeDefinition], doc: TOMLDocument, runtimesPath: [String], path: String) throws(ConfigError) {
        for definition in definitions {
            if let node = doc.node(at: runtimesPath + [definition.handler]) {
                throw .runtimeConflict(definition.handler, file: path, line: doc.line(ofNode: node))
            }
        }
    }

    /// Conflicts either fail, or (take-over) comment out every line of the user's definition.
    private func resolveConflicts(_ definitions: [RuntimeDefinition], doc: TOMLDocument, runtimesPath: [String],
                                  path: String, takeOver: Set<String>) throws(ConfigError) -> (ArraySlice<UInt8>, [String]) {
        var lines = Set<Int>()
        var tookOver: [String] = []
        for definition in definitions {
            let prefix = runtimesPath + [definition.handler]
            guard let node = doc.node(at: prefix) else { continue }
            guard takeOver.contains(definition.handler) else {
                throw .runtimeConflict(definition.handler, file: path, line: doc.line(ofNode: node))
            }
            guard takeOverLines(prefix, in: doc, into: &lines) else {
                throw ConfigError(.runtimeConflict, file: path, line: doc.line(ofNode: node),
                                  reason: "runtime \"\(definition.handler)\" is defined inside an inline table that cannot be taken over")
            }
            tookOver.append(definition.handler)
        }
        guard !lines.isEmpty else { return (doc.bytes, []) }
        return (ManagedBlock.commentOut(lines: lines, in: doc.bytes)[...], tookOver)
    }

    /// Adds the lines of every header and key/value under `prefix` to `lines`; false when there are none
    /// (the definition sits inside an inline table).
    private func takeOverLines(_ prefix: [String], in doc: TOMLDocument, into lines: inout Set<Int>) -> Bool {
        var found = false
        var headers = Set<Int32>()
        for index in 0..<doc.headerCount where doc.path(of: Int(doc.headerRecords[index].node)).starts(with: prefix) {
            lines.insert(doc.line(ofNode: Int(doc.headerRecords[index].node)))
            headers.insert(Int32(index))
            found = true
        }
        for record in doc.values.indices where doc.values[record].header != -2 {
            if headers.contains(doc.values[record].header) || doc.path(of: Int(doc.values[record].node)).starts(with: prefix) {
                for line in doc.lines(ofEntry: record) { lines.insert(line) }
                found = true
            }
        }
        return found
    }

    private func plannedFile(_ file: UserFile, newContents: FileBytes?, created: Bool) -> [PlannedFile] {
        switch (newContents, file.current) {
        case (nil, nil): return []
        case (let new?, let current?) where new.equals(current): return []
        default: break
        }
        return [PlannedFile(path: file.path, contents: newContents,
                            needsBackup: file.current != nil && !file.hasBlock && !created,
                            createdByUs: created,
                            diff: LineDiff.render(path: file.path, old: file.current, new: newContents))]
    }

    private func removeOwnDropIn() throws(ConfigError) -> [PlannedFile] {
        guard let dropIn = layout.dropInPath else { return [] }
        return try removeOwnChanges(dropIn)
    }

    /// Undo everything we did to one file: delete it if we created it and nobody changed it since,
    /// else write back the user's bytes.
    private func removeOwnChanges(_ path: String, backup: [String: [UInt8]] = [:],
                                  existedBefore: Set<String> = []) throws(ConfigError) -> [PlannedFile] {
        let file = try userFile(path, backup: backup)
        guard file.hasBlock else { return [] }
        // The block's `created base=` line is text in a host file anyone can edit: a file with a backup, or one
        // the install state says existed, was not created by us and is never deleted, whatever the block says.
        let mayDelete = backup[path] == nil && !existedBefore.contains(path)
        if mayDelete, let createdBase = file.metadata.createdBase, ManagedBlock.digest(file.base) == createdBase {
            return plannedFile(file, newContents: nil, created: true)
        }
        return plannedFile(file, newContents: FileBytes(parts: [file.base]), created: false)
    }

    // MARK: uninstall

    func uninstall(backup: [String: [UInt8]], existedBefore: Set<String> = []) throws(ConfigError) -> ConfigPlan {
        // First, while only the snapshot is in memory: a parse of a large config next to its reverted copies would not be.
        let schema = detectedSchema()
        var files: [PlannedFile] = []
        var seen = Set<String>()
        // Main config and templates first (drop their imports entry), drop-ins last.
        let order = [layout.mainConfigPath, layout.templatePath, layout.templateV3Path].compactMap { $0 }
            + Array(backup.keys).sorted() + Array(snapshot.files.keys).sorted()
        for path in order where seen.insert(path).inserted {
            // k3s/RKE2 render config.toml from the template; it is theirs to regenerate.
            if (layout.distro == .k3s || layout.distro == .rke2) && path == layout.mainConfigPath { continue }
            if path == layout.dropInPath { continue }
            files += try removeOwnChanges(path, backup: backup, existedBefore: existedBefore)
        }
        files += try removeOwnDropIn()
        return ConfigPlan(files: files, schema: schema, effectiveConfigPath: layout.mainConfigPath,
                          criPluginID: schema == 0 ? "" : ConfigSchema.criPluginID(schema: schema, doc: nil))
    }

    /// The schema of the first readable config (main, then templates); 0 when none is.
    private func detectedSchema() -> Int {
        for path in [layout.mainConfigPath, layout.templateV3Path, layout.templatePath].compactMap({ $0 }) {
            if let bytes = snapshot.contents(of: path), let doc = try? TOMLParser.parse(bytes),
               let detected = try? ConfigSchema.detect(doc, file: path) {
                return detected
            }
        }
        return 0
    }

    // MARK: inspect

    func inspect(definitions: [RuntimeDefinition]) -> [Drift] {
        let plan: ConfigPlan
        do {
            plan = try install(definitions: definitions, options: InstallOptions())
        } catch {
            return [Drift(path: error.file ?? layout.mainConfigPath, message: "config: \(error.reason)")]
        }
        var drift: [Drift] = []
        for file in plan.files {
            guard let current = snapshot.contents(of: file.path) else {
                drift.append(Drift(path: file.path, message: "config: \(file.path) is missing"))
                continue
            }
            let hasBlock = ((try? ManagedBlock.find(in: current, file: file.path)) ?? nil) != nil
            if file.contents == nil {
                drift.append(Drift(path: file.path, message: "config: \(file.path) is left over from an earlier install"))
            } else if !hasBlock {
                for definition in definitions {
                    drift.append(Drift(path: file.path, message: "config: runtime \(definition.handler) is missing from \(file.path)"))
                }
            } else {
                drift.append(Drift(path: file.path, message: "config: kwasm-operator settings in \(file.path) differ from the expected runtimes"))
            }
        }
        return drift
    }

    // MARK: imports undo

    private func undoImportsEntry(_ inserted: String, in bytes: [UInt8]) -> [UInt8] {
        guard let doc = try? TOMLParser.parse(bytes), let entry = doc.rootEntry("imports") else { return bytes }
        let needle = Array(inserted.utf8)
        let range = entry.valueRange
        if let at = firstIndex(of: needle, in: bytes, range: range) {
            var out = bytes
            out.removeSubrange(at..<(at + needle.count))
            return out
        }
        // Reformatted by someone: rewrite the array without our path rather than leave it dangling.
        guard case .array(let items) = entry.value else { return bytes }
        let path = TOMLParser.stringLiteralValue(inserted)
        let kept = items.filter { $0.stringValue != path }
        var out = bytes
        out.replaceSubrange(range, with: Array(("[" + kept.compactMap { $0.stringValue.map(TOMLString.basic) }.joined(separator: ", ") + "]").utf8))
        return out
    }

    private func undoImportsLine(_ line: String, in bytes: [UInt8]) -> [UInt8] {
        for ending in ["\r\n", "\n"] {
            let needle = Array((line + ending).utf8)
            var searchFrom = 0
            while let at = firstIndex(of: needle, in: bytes, range: searchFrom..<bytes.count) {
                if at == 0 || bytes[at - 1] == 0x0A || (at == 3 && bytes.starts(with: [0xEF, 0xBB, 0xBF])) {
                    var out = bytes
                    out.removeSubrange(at..<(at + needle.count))
                    return out
                }
                searchFrom = at + 1
            }
        }
        return bytes
    }

    private func firstIndex(of needle: [UInt8], in bytes: [UInt8], range: Range<Int>) -> Int? {
        guard !needle.isEmpty, range.count >= needle.count else { return nil }
        var i = range.lowerBound
        while i + needle.count <= range.upperBound {
            if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension TOMLParser {
    /// The string value of `, "x"` / `"x"` as we inserted it.
    static func stringLiteralValue(_ inserted: String) -> String? {
        let trimmed = inserted.hasPrefix(", ") ? String(inserted.dropFirst(2)) : inserted
        guard let doc = try? TOMLParser.parse(Array(("x = " + trimmed).utf8)) else { return nil }
        return doc.rootEntry("x")?.value.stringValue
    }
}
