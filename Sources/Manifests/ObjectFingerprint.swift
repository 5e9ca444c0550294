/// A hash of what the analysis can read of one object, to tell a harmless re-declaration (same
/// labels and spec, other annotations) from a conflicting one. Mapping keys may come in any order;
/// `metadata` counts only by name, namespace, labels and owner references, `status` only by the
/// pod addresses.
enum ObjectFingerprint {
  static func of(_ object: YNode) -> UInt64 {
    guard object.isMapping else { return hash(object) }
    var total: UInt64 = 0x6d61_7070
    for (key, value) in object.pairs {
      let valueHash: UInt64
      if key.textEquals("metadata") {
        valueHash = filtered(value, keeping: ["name", "namespace", "labels", "ownerReferences"])
      } else if key.textEquals("status") {
        valueHash = filtered(value, keeping: ["podIP", "podIPs"])
      } else {
        valueHash = hash(value)
      }
      total &+= pair(hash(key), valueHash)
    }
    return mix(total)
  }

  private static func filtered(_ node: YNode, keeping keys: Set<String>) -> UInt64 {
    guard node.isMapping else { return hash(node) }
    var total: UInt64 = 0x6d61_7070
    for (key, value) in node.pairs where keys.contains(key.text) {
      total &+= pair(hash(key), hash(value))
    }
    return mix(total)
  }

  /// Hashes a node by walking the document's storage through buffer pointers taken once, so the
  /// walk does no reference counting per node (this hash runs on every object that is loaded).
  private static func hash(_ node: YNode) -> UInt64 {
    let doc = node.doc
    return doc.records.withUnsafeBufferPointer { records in
      doc.children.withUnsafeBufferPointer { children in
        doc.bytes.withUnsafeBufferPointer { bytes in
          hash(Int(node.index), records, children, bytes)
        }
      }
    }
  }

  private static func hash(
    _ index: Int, _ records: UnsafeBufferPointer<YAMLDocument.Record>,
    _ children: UnsafeBufferPointer<Int32>, _ bytes: UnsafeBufferPointer<UInt8>
  ) -> UInt64 {
    let r = records[index]
    switch r.kind {
    case .scalar:
      if r.type == .null { return 0x6e75_6c6c }
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      var i = Int(r.start)
      let end = i + Int(r.count)
      while i < end {
        h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01b3
        i += 1
      }
      return mix(h)
    case .sequence:
      var h: UInt64 = 0x7365_7175
      var i = Int(r.start)
      let end = i + Int(r.count)
      while i < end {
        h = mix(h ^ hash(Int(children[i]), records, children, bytes))
        i += 1
      }
      return h
    case .mapping:
      var total: UInt64 = 0x6d61_7070
      var i = Int(r.start)
      let end = i + Int(r.count) / 2 * 2
      while i < end {
        let key = hash(Int(children[i]), records, children, bytes)
        let value = hash(Int(children[i + 1]), records, children, bytes)
        total &+= pair(key, value)
        i += 2
      }
      return mix(total)
    }
  }

  private static func pair(_ key: UInt64, _ value: UInt64) -> UInt64 {
    mix(key &* 0x9e37_79b9_7f4a_7c15 ^ value)
  }

  /// The SplitMix64 finaliser.
  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}
