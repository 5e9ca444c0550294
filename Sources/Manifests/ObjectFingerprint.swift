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

  private static func hash(_ node: YNode) -> UInt64 {
    switch node.kind {
    case .scalar:
      if node.isNull { return 0x6e75_6c6c }
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      node.doc.withScalarBytes(node.record) { bytes in
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
      }
      return mix(h)
    case .sequence:
      var h: UInt64 = 0x7365_7175
      for item in node.items { h = mix(h ^ hash(item)) }
      return h
    case .mapping:
      var total: UInt64 = 0x6d61_7070
      for (key, value) in node.pairs { total &+= pair(hash(key), hash(value)) }
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
