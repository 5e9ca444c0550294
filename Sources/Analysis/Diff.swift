import KubeModel
import Reachability

/// How a connection changed between two versions of a cluster.
public enum DiffKind: String, Sendable, CaseIterable {
  case changed
  case added
  case removed
}

/// Which ends of a diff row exist in one version only (netpol-analyzer's
/// `workloads-diff-info`).
public enum DiffPeerPresence: Hashable, Sendable {
  /// Both ends exist in both versions.
  case inBoth
  /// These ends (source first) exist in the new version only.
  case added([ReportPeer])
  /// These ends (source first) exist in the old version only (and none in the new one only).
  case removed([ReportPeer])
}

/// One difference: the connections of a pair before (ref1) and after (ref2).
public struct DiffRow: Hashable, Sendable {
  public var kind: DiffKind
  public var source: ReportPeer
  public var destination: ReportPeer
  public var before: ConnectionSet
  public var after: ConnectionSet
  /// Whether an end exists in one version only.
  public var workloadInfo: DiffPeerPresence
  /// The connections as printed, with the mesh's transport and authorization annotations
  /// (`TCP 80 [mTLS]`): a change of transport or authorization is a difference too.
  public var beforeText: String
  public var afterText: String

  public init(
    kind: DiffKind, source: ReportPeer, destination: ReportPeer, before: ConnectionSet, after: ConnectionSet,
    workloadInfo: DiffPeerPresence = .inBoth, beforeText: String? = nil, afterText: String? = nil
  ) {
    self.kind = kind
    self.source = source
    self.destination = destination
    self.before = before
    self.after = after
    self.workloadInfo = workloadInfo
    self.beforeText = beforeText ?? before.description
    self.afterText = afterText ?? after.description
  }
}

/// The semantic difference between two connectivity reports.
public struct DiffReport: Sendable {
  public var rows: [DiffRow]
  /// Peers of both versions, for graph nodes.
  public var peers: [ReportPeer]
  /// Peer names present only in the new version / only in the old one.
  public var addedPeers: Set<String>
  public var removedPeers: Set<String>
  /// The new version's rows (external ranges refined) and the keys of those that changed or
  /// were added, from which `unchanged` is computed when a graph asks for it.
  let afterRows: ConnectionRows
  let changedAfterKeys: Set<UInt64>

  /// Connections unchanged between the versions (shown in graphs), computed on demand.
  public var unchanged: [ConnectionRow] {
    afterRows.indices.compactMap { i in
      changedAfterKeys.contains(afterRows.entries[i] >> ConnectionRows.fieldBits) ? nil : afterRows[i]
    }
  }

  /// Compares two connectivity reports by merging their sorted compact row tables: no row is
  /// materialised unless it changed.
  public init(before unrefinedBefore: ConnectivityReport, after unrefinedAfter: ConnectivityReport) {
    let originals = Set(
      (unrefinedBefore.rows.peerTable + unrefinedAfter.rows.peerTable).compactMap { peer -> IPRange? in
        if case .external(let r) = peer.kind { return r }
        return nil
      })
    let cuts = Self.boundaries(originals)
    let before = Self.refined(unrefinedBefore.rows, at: cuts)
    let after = Self.refined(unrefinedAfter.rows, at: cuts)
    let beforePeers = Set(unrefinedBefore.peers.map(\.name))
    let afterPeers = Set(unrefinedAfter.peers.map(\.name))
    addedPeers = afterPeers.subtracting(beforePeers)
    removedPeers = beforePeers.subtracting(afterPeers)
    var merged: [String: ReportPeer] = [:]
    for peer in unrefinedBefore.peers + unrefinedAfter.peers { merged[peer.name] = peer }
    peers = merged.values.sorted()

    // One peer order for both tables: ranks of either version map monotonically into it, so
    // both entry lists stay sorted after remapping.
    var oldRank = [Int](repeating: 0, count: before.peerTable.count)
    var newRank = [Int](repeating: 0, count: after.peerTable.count)
    var common: [ReportPeer] = []
    var i = 0
    var j = 0
    while i < before.peerTable.count || j < after.peerTable.count {
      if j == after.peerTable.count
        || (i < before.peerTable.count && before.peerTable[i].name < after.peerTable[j].name)
      {
        oldRank[i] = common.count
        common.append(before.peerTable[i])
        i += 1
      } else if i == before.peerTable.count || after.peerTable[j].name < before.peerTable[i].name {
        newRank[j] = common.count
        common.append(after.peerTable[j])
        j += 1
      } else {
        oldRank[i] = common.count
        newRank[j] = common.count
        common.append(after.peerTable[j])
        i += 1
        j += 1
      }
    }
    let bits = ConnectionRows.fieldBits
    let mask = ConnectionRows.fieldMask
    func key(_ entry: UInt64, _ rank: [Int]) -> UInt64 {
      UInt64(rank[Int(entry >> (2 * bits))]) << bits | UInt64(rank[Int((entry >> bits) & mask)])
    }
    // Sets are equal when their connections and their printed text (with the mesh's
    // annotations) are.
    struct SetKey: Hashable {
      var set: ConnectionSet
      var text: String
    }
    // Several set indices may print alike (verdicts whose reasons differ): compare by the
    // id of their key on both sides.
    var keyIDs: [SetKey: Int] = [:]
    func id(_ key: SetKey) -> Int {
      if let known = keyIDs[key] { return known }
      keyIDs[key] = keyIDs.count
      return keyIDs.count - 1
    }
    let oldIDs = before.sets.indices.map { id(SetKey(set: before.sets[$0], text: before.texts[$0])) }
    let newIDs = after.sets.indices.map { id(SetKey(set: after.sets[$0], text: after.texts[$0])) }

    var rows: [DiffRow] = []
    var changedAfter = Set<UInt64>()
    let added = addedPeers
    let removed = removedPeers
    func info(_ src: ReportPeer, _ dst: ReportPeer) -> DiffPeerPresence {
      let new = [src, dst].filter { added.contains($0.name) }
      if !new.isEmpty { return .added(new) }
      let gone = [src, dst].filter { removed.contains($0.name) }
      return gone.isEmpty ? .inBoth : .removed(gone)
    }
    func row(_ kind: DiffKind, _ k: UInt64, before old: Int?, after new: Int?) {
      let src = common[Int(k >> bits)]
      let dst = common[Int(k & mask)]
      rows.append(
        DiffRow(
          kind: kind, source: src, destination: dst, before: old.map { before.sets[$0] } ?? .none,
          after: new.map { after.sets[$0] } ?? .none, workloadInfo: info(src, dst),
          beforeText: old.map { before.texts[$0] }, afterText: new.map { after.texts[$0] }))
    }
    let oldEntries = before.entries
    let newEntries = after.entries
    i = 0
    j = 0
    while i < oldEntries.count || j < newEntries.count {
      let ko = i < oldEntries.count ? key(oldEntries[i], oldRank) : UInt64.max
      let kn = j < newEntries.count ? key(newEntries[j], newRank) : UInt64.max
      if ko == kn {
        let so = Int(oldEntries[i] & mask)
        let sn = Int(newEntries[j] & mask)
        if oldIDs[so] != newIDs[sn] {
          row(.changed, kn, before: so, after: sn)
          changedAfter.insert(newEntries[j] >> bits)
        }
        i += 1
        j += 1
      } else if ko < kn {
        row(.removed, ko, before: Int(oldEntries[i] & mask), after: nil)
        i += 1
      } else {
        row(.added, kn, before: nil, after: Int(newEntries[j] & mask))
        changedAfter.insert(newEntries[j] >> bits)
        j += 1
      }
    }
    // Ingress-controller differences come last, as netpol-analyzer lists them in a block of their own.
    let order: [DiffKind: Int] = [.changed: 0, .added: 1, .removed: 2]
    func rank(_ row: DiffRow) -> (Int, Int, String, String) {
      let ingress = row.source.kind == .ingressController ? 1 : 0
      return (ingress, order[row.kind] ?? 0, row.source.name, row.destination.name)
    }
    self.rows = Self.coalesced(rows, within: originals).sorted { rank($0) < rank($1) }
    self.afterRows = after
    self.changedAfterKeys = changedAfter
  }

  /// Every external range boundary of both versions, per family.
  static func boundaries(_ ranges: Set<IPRange>) -> [IPFamily: Set<UInt128>] {
    var cuts: [IPFamily: Set<UInt128>] = [:]
    for range in ranges {
      cuts[range.family, default: []].insert(range.lower)
      if range.upper < range.family.maxAddress { cuts[range.family, default: []].insert(range.upper + 1) }
    }
    return cuts
  }

  /// The rows with each external range cut at the given boundaries, so that two versions whose
  /// policies split the address space differently compare range by range. Rows without an
  /// external range that needs cutting are kept as they are (no copy when none does).
  static func refined(_ rows: ConnectionRows, at cuts: [IPFamily: Set<UInt128>]) -> ConnectionRows {
    var piecesOf: [Int: [IPRange]] = [:]
    for (rank, peer) in rows.peerTable.enumerated() {
      if case .external(let range) = peer.kind {
        let split = pieces(range, cuts)
        if split.count > 1 { piecesOf[rank] = split }
      }
    }
    if piecesOf.isEmpty { return rows }
    var peers = rows.peerTable.enumerated().filter { piecesOf[$0.offset] == nil }.map(\.element)
    for split in piecesOf.values { peers += split.map { ReportPeer.external($0) } }
    var builder = ConnectionRows.Builder(peers: peers)
    let ranks: [[Int]] = rows.peerTable.indices.map { rank in
      if let split = piecesOf[rank] { return split.map { builder.rank(of: .external($0)) } }
      return [builder.rank(of: rows.peerTable[rank])]
    }
    let setIndex = rows.sets.indices.map { i in
      rows.meshes[i].map { builder.setIndex(mesh: $0) } ?? builder.setIndex(rows.sets[i])
    }
    let bits = ConnectionRows.fieldBits
    let mask = ConnectionRows.fieldMask
    for entry in rows.entries {
      let set = setIndex[Int(entry & mask)]
      for s in ranks[Int(entry >> (2 * bits))] {
        for d in ranks[Int((entry >> bits) & mask)] { builder.append(s, d, set) }
      }
    }
    return builder.finish()
  }

  static func pieces(_ range: IPRange, _ cuts: [IPFamily: Set<UInt128>]) -> [IPRange] {
    let inside = (cuts[range.family] ?? []).filter { $0 > range.lower && $0 <= range.upper }.sorted()
    var result: [IPRange] = []
    var lower = range.lower
    for cut in inside {
      result.append(IPRange(family: range.family, lower: lower, upper: cut - 1))
      lower = cut
    }
    result.append(IPRange(family: range.family, lower: lower, upper: range.upper))
    return result
  }

  /// Joins pieces of one original external range back together where every piece of it
  /// changed the same way.
  static func coalesced(_ rows: [DiffRow], within originals: Set<IPRange>) -> [DiffRow] {
    struct Key: Hashable {
      var kind: DiffKind
      var externalIsSource: Bool
      var other: String
      var before: ConnectionSet
      var after: ConnectionSet
      var beforeText: String
      var afterText: String
    }
    var groups: [Key: [(range: IPRange, row: DiffRow)]] = [:]
    var result: [DiffRow] = []
    for row in rows {
      switch (row.source.kind, row.destination.kind) {
      case (.external(let range), _):
        let key = Key(
          kind: row.kind, externalIsSource: true, other: row.destination.name, before: row.before, after: row.after,
          beforeText: row.beforeText, afterText: row.afterText)
        groups[key, default: []].append((range, row))
      case (_, .external(let range)):
        let key = Key(
          kind: row.kind, externalIsSource: false, other: row.source.name, before: row.before, after: row.after,
          beforeText: row.beforeText, afterText: row.afterText)
        groups[key, default: []].append((range, row))
      default:
        result.append(row)
      }
    }
    for (key, pieces) in groups {
      let sorted = pieces.sorted { $0.range < $1.range }
      var index = 0
      while index < sorted.count {
        var end = index
        var best = index
        while end + 1 < sorted.count, sorted[end + 1].range.family == sorted[end].range.family,
          sorted[end + 1].range.lower == sorted[end].range.upper + 1
        {
          end += 1
          let span = IPRange(
            family: sorted[index].range.family, lower: sorted[index].range.lower, upper: sorted[end].range.upper)
          if originals.contains(span) { best = end }
        }
        var row = sorted[index].row
        let span = IPRange(
          family: sorted[index].range.family, lower: sorted[index].range.lower, upper: sorted[best].range.upper)
        if key.externalIsSource { row.source = .external(span) } else { row.destination = .external(span) }
        result.append(row)
        index = best + 1
      }
    }
    return result
  }
}
