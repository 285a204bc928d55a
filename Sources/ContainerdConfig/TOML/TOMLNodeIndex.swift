/// (parent node, decoded key) → child node, for ``TOMLDocument``: an open-addressing table of node numbers
/// (4 bytes a slot) whose keys stay in the file's bytes, instead of a dictionary of Strings per table.
struct TOMLNodeIndex: Sendable {
    /// Node number + 1 in each slot; 0 is empty.
    private var slots: [Int32] = Array(repeating: 0, count: 64)
    private var count = 0

    func find(parent: Int32, key: UnsafeRawBufferPointer, in doc: TOMLDocument) -> Int32? {
        let mask = slots.count - 1
        var slot = Self.hash(parent, key) & mask
        while slots[slot] != 0 {
            let node = slots[slot] - 1
            if doc.nodes[Int(node)].parent == parent, Self.keyEquals(node, key, in: doc) { return node }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Adds `node` (its parent and key already set in `doc`); the caller has checked it is not there yet.
    mutating func insert(_ node: Int32, in doc: TOMLDocument) {
        if (count + 1) * 4 > slots.count * 3 { grow(doc) }
        place(node, hash: Self.withKey(of: node, in: doc) { Self.hash(doc.nodes[Int(node)].parent, $0) })
        count += 1
    }

    private mutating func place(_ node: Int32, hash: Int) {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = node + 1
    }

    private mutating func grow(_ doc: TOMLDocument) {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        for entry in old where entry != 0 {
            let node = entry - 1
            place(node, hash: Self.withKey(of: node, in: doc) { Self.hash(doc.nodes[Int(node)].parent, $0) })
        }
    }

    private static func hash(_ parent: Int32, _ key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(parent)
        hasher.combine(bytes: key)
        return hasher.finalize()
    }

    private static func keyEquals(_ node: Int32, _ key: UnsafeRawBufferPointer, in doc: TOMLDocument) -> Bool {
        withKey(of: node, in: doc) { $0.count == key.count && $0.elementsEqual(key) }
    }

    /// The decoded key bytes of a node (in place unless the key has escapes).
    static func withKey<R>(of node: Int32, in doc: TOMLDocument, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let n = doc.nodes[Int(node)]
        if doc.kinds[Int(node)] & TOMLDocument.KindCode.escapedKey != 0 {
            var key = doc.key(of: Int(node))
            return key.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        return doc.withSource(at: Int(n.keyStart)) { source, start in
            source.withUnsafeBytes { all in
                body(UnsafeRawBufferPointer(rebasing: all[start..<(start + doc.keyLength(of: Int(node)))]))
            }
        }
    }
}
