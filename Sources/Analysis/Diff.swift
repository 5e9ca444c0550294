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

  public init(
    kind: DiffKind, source: ReportPeer, destination: ReportPeer, before: ConnectionSet, after: ConnectionSet,
    workloadInfo: String
  ) {
    self.kind = kind
    self.source = source
    self.destination = destination
    self.before = before
    self.after = after
    self.workloadInfo = workloadInfo
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
  public init(before: ConnectivityReport, after: ConnectivityReport) {
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
      var parts: [String] = []
      for peer in [src, dst] {
        if added.contains(peer.name) { parts.append("workload \(peer.name) added") }
        if removed.contains(peer.name) { parts.append("workload \(peer.name) removed") }
      }
      return parts.joined(separator: ", ")
    }
    for (k, row) in new {
      if let previous = old[k] {
        if previous.connections == row.connections {
          unchanged.append(row)
        } else {
          rows.append(
            DiffRow(
              kind: .changed, source: row.source, destination: row.destination, before: previous.connections,
              after: row.connections, workloadInfo: info(row.source, row.destination)))
        }
      } else {
        rows.append(
          DiffRow(
            kind: .added, source: row.source, destination: row.destination, before: .none, after: row.connections,
            workloadInfo: info(row.source, row.destination)))
      }
    }
    for (k, row) in old where new[k] == nil {
      rows.append(
        DiffRow(
          kind: .removed, source: row.source, destination: row.destination, before: row.connections, after: .none,
          workloadInfo: info(row.source, row.destination)))
    }
    let order: [DiffKind: Int] = [.changed: 0, .added: 1, .removed: 2]
    self.rows = rows.sorted {
      (order[$0.kind] ?? 0, $0.source.name, $0.destination.name) < (order[$1.kind] ?? 0, $1.source.name, $1.destination.name)
    }
    self.unchanged = sortedRows(unchanged)
  }
}
