import KubeModel
import Reachability

/// How a connection changed between two versions of a cluster.
public enum DiffKind: String, Sendable, CaseIterable {
  case changed
  case added
  case removed
}

/// One difference: the connections of a pair before (ref1) and after (ref2).
public struct DiffRow: Hashable, Sendable {
  public var kind: DiffKind
  public var source: ReportPeer
  public var destination: ReportPeer
  public var before: ConnectionSet
  public var after: ConnectionSet
  /// `workload X added` / `workload X removed` when an end exists on one side only.
  public var workloadInfo: String
  /// The connections as printed, with the mesh's transport and authorization annotations
  /// (`TCP 80 [mTLS]`): a change of transport or authorization is a difference too.
  public var beforeText: String
  public var afterText: String

  public init(
    kind: DiffKind, source: ReportPeer, destination: ReportPeer, before: ConnectionSet, after: ConnectionSet,
    workloadInfo: String, beforeText: String? = nil, afterText: String? = nil
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
  /// Connections unchanged between the versions (shown in graphs).
  public var unchanged: [ConnectionRow]

  /// Compares two connectivity reports pair by pair.
  public init(before unrefinedBefore: ConnectivityReport, after unrefinedAfter: ConnectivityReport) {
    let cuts = Self.boundaries(Array(unrefinedBefore.rows) + Array(unrefinedAfter.rows))
    let before = Self.refined(unrefinedBefore, at: cuts)
    let after = Self.refined(unrefinedAfter, at: cuts)
    let beforePeers = Set(before.peers.map(\.name))
    let afterPeers = Set(after.peers.map(\.name))
    addedPeers = afterPeers.subtracting(beforePeers)
    removedPeers = beforePeers.subtracting(afterPeers)
    var merged: [String: ReportPeer] = [:]
    for peer in before.peers + after.peers { merged[peer.name] = peer }
    peers = merged.values.sorted()

    func key(_ row: ConnectionRow) -> String { row.source.name + "\u{0}" + row.destination.name }
    var old: [String: ConnectionRow] = [:]
    for row in before.rows { old[key(row)] = row }
    var new: [String: ConnectionRow] = [:]
    for row in after.rows { new[key(row)] = row }

    var rows: [DiffRow] = []
    var unchanged: [ConnectionRow] = []
    let added = addedPeers
    let removed = removedPeers
    func info(_ src: ReportPeer, _ dst: ReportPeer) -> String {
      for (set, word) in [(added, "added"), (removed, "removed")] {
        let names = [src, dst].map(\.name).filter { set.contains($0) }
        if !names.isEmpty { return "workload \(names.joined(separator: " and ")) \(word)" }
      }
      return ""
    }
    for (k, row) in new {
      if let previous = old[k] {
        if previous.connections == row.connections && previous.connectionsText == row.connectionsText {
          unchanged.append(row)
        } else {
          rows.append(
            DiffRow(
              kind: .changed, source: row.source, destination: row.destination, before: previous.connections,
              after: row.connections, workloadInfo: info(row.source, row.destination),
              beforeText: previous.connectionsText, afterText: row.connectionsText))
        }
      } else {
        rows.append(
          DiffRow(
            kind: .added, source: row.source, destination: row.destination, before: .none, after: row.connections,
            workloadInfo: info(row.source, row.destination), afterText: row.connectionsText))
      }
    }
    for (k, row) in old where new[k] == nil {
      rows.append(
        DiffRow(
          kind: .removed, source: row.source, destination: row.destination, before: row.connections, after: .none,
          workloadInfo: info(row.source, row.destination), beforeText: row.connectionsText))
    }
    let originals = Set(
      (Array(unrefinedBefore.rows) + Array(unrefinedAfter.rows)).flatMap { row -> [IPRange] in
        [row.source.kind, row.destination.kind].compactMap { if case .external(let r) = $0 { r } else { nil } }
      })
    // Ingress-controller differences come last, as netpol-analyzer lists them in a block of their own.
    let order: [DiffKind: Int] = [.changed: 0, .added: 1, .removed: 2]
    func rank(_ row: DiffRow) -> (Int, Int, String, String) {
      let ingress = row.source.kind == .ingressController ? 1 : 0
      return (ingress, order[row.kind] ?? 0, row.source.name, row.destination.name)
    }
    self.rows = Self.coalesced(rows, within: originals).sorted { rank($0) < rank($1) }
    self.unchanged = Array(ConnectionRows(unchanged))
  }

  /// Every external range boundary of both versions, per family.
  static func boundaries(_ rows: [ConnectionRow]) -> [IPFamily: Set<UInt128>] {
    var cuts: [IPFamily: Set<UInt128>] = [:]
    for row in rows {
      for case .external(let range) in [row.source.kind, row.destination.kind] {
        cuts[range.family, default: []].insert(range.lower)
        if range.upper < range.family.maxAddress { cuts[range.family, default: []].insert(range.upper + 1) }
      }
    }
    return cuts
  }

  /// The report with each external range cut at the given boundaries, so that two versions
  /// whose policies split the address space differently compare range by range.
  static func refined(_ report: ConnectivityReport, at cuts: [IPFamily: Set<UInt128>]) -> ConnectivityReport {
    var result = report
    result.rows = ConnectionRows(
      report.rows.flatMap { row -> [ConnectionRow] in
        switch (row.source.kind, row.destination.kind) {
        case (.external(let range), _):
          return pieces(range, cuts).map {
            var piece = row
            piece.source = .external($0)
            return piece
          }
        case (_, .external(let range)):
          return pieces(range, cuts).map {
            var piece = row
            piece.destination = .external($0)
            return piece
          }
        default:
          return [row]
        }
      })
    return result
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
