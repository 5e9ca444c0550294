/// A set of peer indices (pod classes first, then external ranges) out of a known universe
/// size, stored in the cheapest of four shapes.
enum PeerSet: Sendable, Hashable {
  case empty
  case all
  /// Sorted, unique indices.
  case sparse([Int32])
  /// Bit words; bits at or beyond the universe size are zero.
  case dense([UInt64])

  /// The shape for the members set in `words`, a dense bitset over `universe` indices.
  static func make(words: [UInt64], universe: Int) -> PeerSet {
    var count = 0
    for w in words { count &+= w.nonzeroBitCount }
    if count == 0 { return .empty }
    if count == universe { return .all }
    if count < universe / 32 + 1 {
      var out: [Int32] = []
      out.reserveCapacity(count)
      for (i, w) in words.enumerated() where w != 0 {
        var x = w
        while x != 0 {
          out.append(Int32(i &* 64 &+ x.trailingZeroBitCount))
          x &= x &- 1
        }
      }
      return .sparse(out)
    }
    return .dense(words)
  }

  /// The shape for the sorted, unique members.
  static func make(sorted members: [Int32], universe: Int) -> PeerSet {
    if members.isEmpty { return .empty }
    if members.count == universe { return .all }
    if members.count < universe / 32 + 1 { return .sparse(members) }
    var words = [UInt64](repeating: 0, count: (universe + 63) / 64)
    for m in members { words[Int(m) >> 6] |= 1 << UInt64(m & 63) }
    return .dense(words)
  }

  var isEmpty: Bool {
    if case .empty = self { return true }
    return false
  }

  func contains(_ i: Int) -> Bool {
    switch self {
    case .empty: return false
    case .all: return true
    case .dense(let w): return w[i >> 6] & (1 << UInt64(i & 63)) != 0
    case .sparse(let list):
      var lo = 0
      var hi = list.count - 1
      let key = Int32(i)
      while lo <= hi {
        let mid = (lo + hi) >> 1
        let v = list[mid]
        if v < key {
          lo = mid + 1
        } else if v > key {
          hi = mid - 1
        } else {
          return true
        }
      }
      return false
    }
  }

  /// Calls `body` for every member in `range`, in increasing order.
  func forEach(in range: Range<Int>, _ body: (Int) -> Void) {
    switch self {
    case .empty: return
    case .all: for i in range { body(i) }
    case .sparse(let list):
      for v in list {
        let i = Int(v)
        if i >= range.upperBound { break }
        if i >= range.lowerBound { body(i) }
      }
    case .dense(let words):
      guard !range.isEmpty else { return }
      let firstWord = range.lowerBound >> 6
      let lastWord = (range.upperBound - 1) >> 6
      for wi in firstWord...lastWord {
        var x = words[wi]
        while x != 0 {
          let i = wi &* 64 &+ x.trailingZeroBitCount
          x &= x &- 1
          if i >= range.lowerBound && i < range.upperBound { body(i) }
        }
      }
    }
  }

  /// ORs the members into a dense bitset.
  func or(into words: inout [UInt64]) {
    switch self {
    case .empty: return
    case .all:
      for i in 0..<words.count { words[i] = ~0 }
    case .sparse(let list):
      for v in list { words[Int(v) >> 6] |= 1 << UInt64(v & 63) }
    case .dense(let w):
      words.withUnsafeMutableBufferPointer { dst in
        w.withUnsafeBufferPointer { src in
          for i in 0..<src.count { dst[i] |= src[i] }
        }
      }
    }
  }

  /// Writes the members as a dense bitset (overwriting `words`); `.all` sets every word,
  /// so callers mask with the universe afterwards when needed.
  func write(into words: inout [UInt64]) {
    for i in 0..<words.count { words[i] = 0 }
    or(into: &words)
  }

  /// The members that are also in `other`.
  func intersection(_ other: PeerSet, universe: Int) -> PeerSet {
    switch (self, other) {
    case (.empty, _), (_, .empty): return .empty
    case (.all, _): return other
    case (_, .all): return self
    case (.sparse(let a), _):
      return PeerSet.make(sorted: a.filter { other.contains(Int($0)) }, universe: universe)
    case (_, .sparse(let b)):
      return PeerSet.make(sorted: b.filter { self.contains(Int($0)) }, universe: universe)
    case (.dense(let a), .dense(let b)):
      return PeerSet.make(words: zip(a, b).map { $0 & $1 }, universe: universe)
    }
  }

  /// The union of several sets.
  static func union(_ sets: [PeerSet], universe: Int) -> PeerSet {
    var sparse: [Int32] = []
    var needsDense = false
    for s in sets {
      switch s {
      case .empty: continue
      case .all: return .all
      case .dense: needsDense = true
      case .sparse(let l): sparse += l
      }
    }
    if needsDense || sparse.count > universe / 32 {
      var words = [UInt64](repeating: 0, count: (universe + 63) / 64)
      for s in sets { s.or(into: &words) }
      return PeerSet.make(words: words, universe: universe)
    }
    sparse.sort()
    var out: [Int32] = []
    out.reserveCapacity(sparse.count)
    for v in sparse where out.last != v { out.append(v) }
    return PeerSet.make(sorted: out, universe: universe)
  }
}

/// Small fixed-width bitset helpers over port atoms.
enum AtomBits {
  static func isZero(_ w: [UInt64]) -> Bool { w.allSatisfy { $0 == 0 } }
  static func set(_ w: inout [UInt64], _ i: Int) { w[i >> 6] |= 1 << UInt64(i & 63) }
  static func test(_ w: [UInt64], _ i: Int) -> Bool { w[i >> 6] & (1 << UInt64(i & 63)) != 0 }
}
