import KubeModel
import Reachability

/// One endpoint of a reported connection: a workload, a pod, an external address range, or the
/// ingress controller that Ingress and Route objects stand for.
public struct ReportPeer: Hashable, Comparable, Sendable {
  public enum Kind: Hashable, Sendable {
    case workload(Int)
    case pod(Int)
    case external(IPRange)
    case ingressController
  }

  public var kind: Kind
  /// The full name as printed: `ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`, `{ingress-controller}`.
  public var name: String
  /// The namespace, for grouping in graphs; nil for externals and the ingress controller.
  public var namespace: String?
  /// The name without the namespace, as graph node labels show it.
  public var shortName: String

  public init(kind: Kind, name: String, namespace: String?, shortName: String) {
    self.kind = kind
    self.name = name
    self.namespace = namespace
    self.shortName = shortName
  }

  public var isExternal: Bool {
    if case .external = kind { return true }
    return false
  }

  public static func < (lhs: ReportPeer, rhs: ReportPeer) -> Bool { lhs.name < rhs.name }

  /// The pseudo-peer for traffic entering through Ingress or Route objects.
  public static let ingressController = ReportPeer(
    kind: .ingressController, name: "{ingress-controller}", namespace: nil, shortName: "{ingress-controller}")

  public static func external(_ range: IPRange) -> ReportPeer {
    let text = "\(range)[External]"
    return ReportPeer(kind: .external(range), name: text, namespace: nil, shortName: text)
  }

  public static func workload(_ index: Int, in cluster: Cluster) -> ReportPeer {
    let w = cluster.workloads[index]
    return ReportPeer(
      kind: .workload(index), name: w.displayName, namespace: w.namespace,
      shortName: "\(w.name)[\(w.kind.rawValue)]")
  }

  public static func pod(_ index: Int, in cluster: Cluster) -> ReportPeer {
    let p = cluster.pods[index]
    return ReportPeer(
      kind: .pod(index), name: "\(p.namespace)/\(p.name)[Pod]", namespace: p.namespace,
      shortName: "\(p.name)[Pod]")
  }
}

/// A connection allowed from one peer to another.
public struct ConnectionRow: Hashable, Sendable {
  public var source: ReportPeer
  public var destination: ReportPeer
  /// The connections finally allowed (with the mesh on: those the mesh lets through too).
  public var connections: ConnectionSet
  /// `connections` as text (computed once per distinct set by `ConnectionRows`); with the
  /// mesh, the L3/L4 connections with their mesh annotations, e.g. `TCP 80 [mTLS]`.
  public var connectionsText: String
  /// The mesh verdict of the L3/L4 connections, when the mesh touches this flow.
  public var mesh: MeshVerdict?

  public init(source: ReportPeer, destination: ReportPeer, connections: ConnectionSet) {
    self.init(source: source, destination: destination, connections: connections, text: connections.description)
  }

  /// A row whose L3/L4 connections the mesh stage has split by outcome.
  public init(source: ReportPeer, destination: ReportPeer, mesh: MeshVerdict) {
    self.init(
      source: source, destination: destination, connections: mesh.allowed, text: mesh.description, mesh: mesh)
  }

  init(
    source: ReportPeer, destination: ReportPeer, connections: ConnectionSet, text: String,
    mesh: MeshVerdict? = nil
  ) {
    self.source = source
    self.destination = destination
    self.connections = connections
    self.connectionsText = text
    self.mesh = mesh
  }
}

/// Rows sorted by source name, then destination name, stored compactly: a table of peers in
/// name order, a table of distinct connection sets, and one 64-bit entry per row (source rank,
/// destination rank, set index). Millions of rows cost 8 bytes each.
public struct ConnectionRows: RandomAccessCollection, Sendable {
  static let fieldBits: UInt64 = 21
  static let fieldMask: UInt64 = (1 << fieldBits) - 1

  /// Every peer that can appear in a row, in name order (a row's ranks index this table).
  public let peerTable: [ReportPeer]
  let sets: [ConnectionSet]
  let texts: [String]
  let meshes: [MeshVerdict?]
  let entries: [UInt64]

  public var startIndex: Int { 0 }
  public var endIndex: Int { entries.count }

  public subscript(position: Int) -> ConnectionRow {
    let entry = entries[position]
    let set = Int(entry & Self.fieldMask)
    return ConnectionRow(
      source: peerTable[Int(entry >> (2 * Self.fieldBits))],
      destination: peerTable[Int((entry >> Self.fieldBits) & Self.fieldMask)],
      connections: sets[set], text: texts[set], mesh: meshes[set])
  }

  /// Sorts and packs materialized rows.
  public init(_ rows: [ConnectionRow]) {
    var builder = Builder(peers: rows.flatMap { [$0.source, $0.destination] })
    for row in rows {
      let set = row.mesh.map { builder.setIndex(mesh: $0) } ?? builder.setIndex(row.connections)
      builder.append(builder.rank(of: row.source), builder.rank(of: row.destination), set)
    }
    self = builder.finish()
  }

  init(peerTable: [ReportPeer], sets: [ConnectionSet], meshes: [MeshVerdict?], entries: [UInt64]) {
    self.peerTable = peerTable
    self.sets = sets
    self.meshes = meshes
    self.texts = zip(sets, meshes).map { set, mesh in mesh?.description ?? set.description }
    self.entries = entries.sorted()
  }

  /// Collects rows by peer rank; ranks follow the peers' names, so sorting entries sorts rows.
  struct Builder {
    let peerTable: [ReportPeer]
    private var rankByName: [String: Int] = [:]
    private var sets: [ConnectionSet] = []
    private var meshes: [MeshVerdict?] = []
    private var setIndexByValue: [ConnectionSet: Int] = [:]
    private var setIndexByMesh: [MeshVerdict: Int] = [:]
    private var entries: [UInt64] = []

    /// All peers that rows may name (duplicates by name are folded).
    init(peers: [ReportPeer]) {
      var unique: [String: ReportPeer] = [:]
      for peer in peers { unique[peer.name] = peer }
      peerTable = unique.values.sorted()
      for (rank, peer) in peerTable.enumerated() { rankByName[peer.name] = rank }
    }

    func rank(of peer: ReportPeer) -> Int {
      guard let rank = rankByName[peer.name] else {
        preconditionFailure("\(peer.name) is not in the peer table the rows were built for")
      }
      return rank
    }

    mutating func setIndex(_ set: ConnectionSet) -> Int {
      if let index = setIndexByValue[set] { return index }
      sets.append(set)
      meshes.append(nil)
      setIndexByValue[set] = sets.count - 1
      return sets.count - 1
    }

    /// The index of L3/L4 connections with their mesh verdict (plain connections when the
    /// mesh does not touch them).
    mutating func setIndex(mesh: MeshVerdict) -> Int {
      if mesh.isUntouched {
        return setIndex(mesh.parts.reduce(ConnectionSet.none) { $0.union($1.connections) })
      }
      if let index = setIndexByMesh[mesh] { return index }
      sets.append(mesh.allowed)
      meshes.append(mesh)
      setIndexByMesh[mesh] = sets.count - 1
      return sets.count - 1
    }

    mutating func append(_ source: Int, _ destination: Int, _ set: Int) {
      let limit = 1 << Int(ConnectionRows.fieldBits)
      precondition(
        source < limit && destination < limit && set < limit,
        "row fields exceed \(ConnectionRows.fieldBits) bits (peer \(Swift.max(source, destination)), set \(set))")
      entries.append(
        UInt64(source) << (2 * ConnectionRows.fieldBits) | UInt64(destination) << ConnectionRows.fieldBits
          | UInt64(set))
    }

    func finish() -> ConnectionRows {
      ConnectionRows(peerTable: peerTable, sets: sets, meshes: meshes, entries: entries)
    }
  }
}
