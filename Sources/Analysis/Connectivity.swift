import KubeModel
import Reachability

/// Which entities the connectivity list speaks of.
public enum Granularity: String, Sendable, CaseIterable {
  /// Pods grouped by owning workload (Deployment, StatefulSet, ...), as netpol-analyzer reports.
  case workload
  /// Every pod on its own.
  case pod
  /// Pods grouped by workload where they all agree; the pods of a workload whose pods differ in
  /// a way policies see are listed one by one (with a note naming the labels).
  case auto
}

/// What to analyse and how to narrow the result.
public struct ConnectivityOptions: Sendable {
  public var granularity: Granularity = .workload
  /// Keep only connections with one of these workloads (`name` or `ns/name`) at one end.
  public var focusWorkloads: [String] = []
  /// With focus workloads: the other end must be one of these.
  public var focusWorkloadPeers: [String] = []
  /// With focus workloads: keep only connections into (ingress) or out of (egress) them.
  public var focusDirection: Direction? = nil
  /// Keep only connections that allow this protocol and port.
  public var focusConnection: FocusConnection? = nil
  /// List IPv6 external ranges too (netpol-analyzer lists IPv4 only).
  public var includeIPv6 = false
  /// Also compute netpol-analyzer's exposure analysis (`ConnectivityReport.exposure`).
  public var exposure = false
  public var engine: EngineOptions = .init()

  public init() {}
}

/// A single protocol and port, written `tcp-8080` on the command line.
public struct FocusConnection: Hashable, Sendable, CustomStringConvertible {
  public var transport: TransportProtocol
  public var port: Int

  public init(transport: TransportProtocol, port: Int) {
    self.transport = transport
    self.port = port
  }

  /// Parses `tcp-8080` (case-insensitive protocol); nil when malformed.
  public init?(parsing text: String) {
    let parts = text.split(separator: "-")
    guard parts.count == 2, let transport = TransportProtocol(rawValue: parts[0].uppercased()),
      let port = Int(parts[1]), (1...65535).contains(port)
    else { return nil }
    self.init(transport: transport, port: port)
  }

  public var description: String { "\(transport.rawValue) \(port)" }
}

/// The allowed connections of a cluster, ready for a renderer.
public struct ConnectivityReport: Sendable {
  public var rows: ConnectionRows
  /// Every workload (or pod) peer in scope, for graph nodes without edges.
  public var peers: [ReportPeer]
  public var focusConnection: FocusConnection?
  public var warnings: [Diagnostic]
  /// The exposure analysis, when `ConnectivityOptions.exposure` asked for it.
  public var exposure: ExposureReport? = nil

  public init(rows: ConnectionRows, peers: [ReportPeer], focusConnection: FocusConnection?, warnings: [Diagnostic]) {
    self.rows = rows
    self.peers = peers
    self.focusConnection = focusConnection
    self.warnings = warnings
  }
}

/// Computes connectivity lists from a cluster.
public struct ConnectivityAnalyzer: Sendable {
  public let cluster: Cluster
  public let engine: ReachabilityEngine
  public let options: ConnectivityOptions
  /// The engine peer of the ingress-controller stand-in (a hypothetical pod, not in
  /// `cluster`), when the input has Ingress or Route objects.
  public let ingressController: Peer?
  /// One representative pod per reported entity, aligned with `entities`.
  let entities: [(peer: ReportPeer, pod: Int)]
  /// The focus options, resolved once to the identities of the reported peers.
  let focus: FocusFilter
  /// Under `--granularity auto`: one note per workload listed pod by pod, saying why.
  public let granularityNotes: [Diagnostic]
  /// Under `--granularity auto`: the workloads listed pod by pod.
  public var splitWorkloads: Set<Int> {
    guard options.granularity == .auto else { return [] }
    var result = Set<Int>()
    for entity in entities {
      if case .pod(let p) = entity.peer.kind { result.insert(cluster.pods[p].workload) }
    }
    return result
  }

  /// Builds the engine over the cluster exactly as read (with the ingress-controller stand-in
  /// as the engine's hypothetical pod when the input has Ingress or Route objects). Throws
  /// when the workload granularity cannot answer for a workload whose pods differ.
  public init(cluster: Cluster, options: ConnectivityOptions) throws(Diagnostic) {
    self.cluster = cluster
    self.options = options
    let engine = ReachabilityEngine(
      cluster: cluster, options: options.engine,
      hypotheticalPods: cluster.ingresses.isEmpty ? [] : [IngressControllerStandIn.pod])
    self.engine = engine
    self.ingressController = cluster.ingresses.isEmpty ? nil : engine.hypotheticalPeer(0)
    var notes: [Diagnostic] = []
    self.entities = try Self.reportEntities(
      cluster: cluster, engine: engine, granularity: options.granularity, notes: &notes)
    self.granularityNotes = notes
    self.focus = FocusFilter(
      options: options, entities: entities.map(\.peer), hasIngressController: ingressController != nil,
      cluster: cluster)
  }

  static func reportEntities(
    cluster: Cluster, engine: ReachabilityEngine, granularity: Granularity
  ) throws(Diagnostic) -> [(peer: ReportPeer, pod: Int)] {
    var notes: [Diagnostic] = []
    return try reportEntities(cluster: cluster, engine: engine, granularity: granularity, notes: &notes)
  }

  static func reportEntities(
    cluster: Cluster, engine: ReachabilityEngine, granularity: Granularity, notes: inout [Diagnostic]
  ) throws(Diagnostic) -> [(peer: ReportPeer, pod: Int)] {
    switch granularity {
    case .pod:
      return cluster.pods.indices.map { (ReportPeer.pod($0, in: cluster), $0) }
    case .workload, .auto:
      var podsOfWorkload = [[Int]](repeating: [], count: cluster.workloads.count)
      for (index, pod) in cluster.pods.enumerated() {
        podsOfWorkload[pod.workload].append(index)
      }
      var result: [(peer: ReportPeer, pod: Int)] = []
      workloads: for (w, pods) in podsOfWorkload.enumerated() {
        guard let first = pods.first else { continue }
        let firstClass = engine.podClass(first)
        var checked: Set<Int> = [firstClass]
        for other in pods where !checked.contains(engine.podClass(other)) {
          checked.insert(engine.podClass(other))
          if Self.distinguishingSelector(cluster, cluster.pods[first], cluster.pods[other]) != nil
            || !Self.sameAnswers(engine, firstClass, engine.podClass(other))
          {
            let mixed = Self.mixedWorkloadError(cluster: cluster, workload: w, first: first, other: other)
            guard granularity == .auto else { throw mixed }
            // Listed pod by pod, with a note saying why.
            notes.append(
              Diagnostic(
                .note, code: .workloadSplit,
                mixed.message.replacingOccurrences(
                  of: Self.mixedWorkloadAdvice, with: "its pods are listed one by one"),
                at: mixed.location))
            result += pods.map { (ReportPeer.pod($0, in: cluster), $0) }
            continue workloads
          }
        }
        result.append((ReportPeer.workload(w, in: cluster), first))
      }
      return result
    }
  }

  /// Every pod selector of every policy (NetworkPolicy subjects and peers, admin policy
  /// subjects and peers).
  static func podSelectors(of cluster: Cluster) -> [LabelSelector] {
    var selectors: [LabelSelector] = []
    for policy in cluster.networkPolicies {
      selectors.append(policy.podSelector)
      for rule in policy.ingress + policy.egress {
        for case .selector(let pods?, _) in rule.peers { selectors.append(pods) }
      }
    }
    func add(_ set: AdminPodSet) {
      if case .pods(_, let pods) = set { selectors.append(pods) }
    }
    for policy in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      add(policy.subject)
      for rule in policy.ingress + policy.egress {
        for case .pods(let set) in rule.peers { add(set) }
      }
    }
    return selectors
  }

  /// A policy pod selector that matches one of two pods and not the other, if any: such pods
  /// have no common workload-level answer even where the verdicts happen to agree.
  static func distinguishingSelector(_ cluster: Cluster, _ a: Pod, _ b: Pod) -> LabelSelector? {
    podSelectors(of: cluster).first { $0.matches(a.labels) != $0.matches(b.labels) }
  }

  /// Whether pods of two classes get the same verdict towards and from every other peer, so
  /// that a workload holding both still has one answer.
  static func sameAnswers(_ engine: ReachabilityEngine, _ a: Int, _ b: Int) -> Bool {
    let peers = (0..<engine.classCount).map(ClassPeer.podClass) + engine.externalRanges.indices.map(ClassPeer.external)
    for peer in peers {
      if case .podClass(let c) = peer, c == a || c == b { continue }
      if engine.connections(from: .podClass(a), to: peer) != engine.connections(from: .podClass(b), to: peer) {
        return false
      }
      if engine.connections(from: peer, to: .podClass(a)) != engine.connections(from: peer, to: .podClass(b)) {
        return false
      }
    }
    return engine.connections(from: .podClass(a), to: .podClass(b))
      == engine.connections(from: .podClass(b), to: .podClass(a))
      && engine.connections(from: .podClass(a), to: .podClass(a))
        == engine.connections(from: .podClass(b), to: .podClass(b))
  }

  static let mixedWorkloadAdvice =
    "there is no single workload-level answer: use --granularity pod, or --granularity auto to list only such workloads pod by pod"

  static func mixedWorkloadError(cluster: Cluster, workload: Int, first: Int, other: Int) -> Diagnostic {
    let a = cluster.pods[first]
    let b = cluster.pods[other]
    let keys = Set(a.labels.keys).union(b.labels.keys).filter { a.labels[$0] != b.labels[$0] }.sorted()
    let described = keys.map { key in
      "\(key): \(a.labels[key].map { "\"\($0)\"" } ?? "absent") vs \(b.labels[key].map { "\"\($0)\"" } ?? "absent")"
    }
    let detail = described.isEmpty ? "their IP addresses or named ports" : "labels " + described.joined(separator: ", ")
    return .error(
      .workloadPodsDiffer,
      "pods \(a.name) and \(b.name) of workload \(cluster.workloads[workload].displayName) differ in \(detail), which policies tell apart; \(mixedWorkloadAdvice)",
      at: cluster.workloads[workload].location)
  }

  /// All allowed connections, filtered by the focus options and sorted.
  public func report() -> ConnectivityReport {
    let ranges = ExternalRanges(cluster: cluster, includeIPv6: options.includeIPv6)
    let srcExternals = ranges.ingressSources.map { ReportPeer.external($0) }
    let dstExternals = ranges.egressDestinations.map { ReportPeer.external($0) }
    let unfocused = focus.isUnfocused
    let ingressPeers: [ReportPeer] = ingressController == nil ? [] : [.ingressController]
    var builder = ConnectionRows.Builder(peers: entities.map(\.peer) + srcExternals + dstExternals + ingressPeers)
    let entityRank = entities.map { builder.rank(of: $0.peer) }
    func wanted(_ conns: ConnectionSet) -> Bool {
      if let focus = options.focusConnection { return conns.contains(focus.transport, focus.port) }
      return !conns.isEmpty
    }

    // Pod-to-pod verdicts come from the engine's packed class-level table; entities of a
    // class share every verdict, so each class pair expands to its entities' ranks.
    var entitiesOfClass: [Int: [Int]] = [:]
    for (index, entity) in entities.enumerated() {
      entitiesOfClass[engine.podClass(entity.pod), default: []].append(index)
    }
    let table = engine.classConnectionTable()
    let meshOn = engine.mesh != nil
    let tableSets = table.connectionSets.map { wanted($0) && !meshOn ? builder.setIndex($0) : -1 }
    let tableWanted = table.connectionSets.map(wanted)
    /// The row's set index with the mesh verdict folded in; nil when a focus connection is
    /// asked and the mesh does not let it through.
    func meshIndex(_ src: ClassPeer, _ dst: ClassPeer, _ conns: ConnectionSet) -> Int? {
      guard let verdict = engine.meshVerdict(from: src, to: dst, connections: conns) else {
        return builder.setIndex(conns)
      }
      if let focus = options.focusConnection, !verdict.allowed.contains(focus.transport, focus.port) {
        return nil
      }
      return builder.setIndex(mesh: verdict)
    }
    /// Table rows: verdicts interned by the engine (all rows in one pass), builder indices
    /// cached per verdict.
    var builderIndexOfVerdict: [Int32: Int] = [:]
    let rowVerdicts = engine.meshVerdictIDs(for: table)
    func tableMeshIndex(_ row: Int) -> Int? {
      guard let id = rowVerdicts?[row], let verdict = engine.meshVerdict(id: id) else {
        return builder.setIndex(table.connections(row))
      }
      if let focus = options.focusConnection, !verdict.allowed.contains(focus.transport, focus.port) {
        return nil
      }
      if let index = builderIndexOfVerdict[id] { return index }
      let index = builder.setIndex(mesh: verdict)
      builderIndexOfVerdict[id] = index
      return index
    }
    // Verdicts between classes and the engine's external ranges, from the same table.
    var toExternal: [Int: [Int: ConnectionSet]] = [:]
    var fromExternal: [Int: [Int: ConnectionSet]] = [:]
    for row in table.indices {
      switch (table.source(row), table.destination(row)) {
      case (.podClass(let c), .external(let e)): toExternal[c, default: [:]][e] = table.connections(row)
      case (.external(let e), .podClass(let c)): fromExternal[c, default: [:]][e] = table.connections(row)
      default: break
      }
      guard tableWanted[table.connectionIndex(row)], case .podClass(let sourceClass) = table.source(row),
        case .podClass(let destinationClass) = table.destination(row),
        let sources = entitiesOfClass[sourceClass], let destinations = entitiesOfClass[destinationClass]
      else { continue }
      guard
        let set = meshOn
          ? tableMeshIndex(row)
          : tableSets[table.connectionIndex(row)]
      else { continue }
      for s in sources {
        for d in destinations where s != d {
          guard unfocused || focus.includes(entities[s].peer, entities[d].peer) else { continue }
          builder.append(entityRank[s], entityRank[d], set)
        }
      }
    }
    // External ranges: each reported range is a union of the engine's finer ranges, which all
    // get the same verdict; they are looked up once, then asked per class.
    let dstAtoms = dstExternals.map { engineRangeIndices(inside: $0) }
    let srcAtoms = srcExternals.map { engineRangeIndices(inside: $0) }
    for (podClass, members) in entitiesOfClass.sorted(by: { $0.key < $1.key }) {
      for (external, atoms) in zip(dstExternals, dstAtoms) where !atoms.isEmpty {
        let verdicts = toExternal[podClass] ?? [:]
        let conns = atoms.reduce(ConnectionSet.all) { $0.intersection(verdicts[$1] ?? .none) }
        guard wanted(conns) else { continue }
        guard let set = meshIndex(.podClass(podClass), .external(atoms[0]), conns) else { continue }
        let rank = builder.rank(of: external)
        for s in members where unfocused || focus.includes(entities[s].peer, external) {
          builder.append(entityRank[s], rank, set)
        }
      }
      for (external, atoms) in zip(srcExternals, srcAtoms) where !atoms.isEmpty {
        let verdicts = fromExternal[podClass] ?? [:]
        let conns = atoms.reduce(ConnectionSet.all) { $0.intersection(verdicts[$1] ?? .none) }
        guard wanted(conns) else { continue }
        guard let set = meshIndex(.external(atoms[0]), .podClass(podClass), conns) else { continue }
        let rank = builder.rank(of: external)
        for d in members where unfocused || focus.includes(external, entities[d].peer) {
          builder.append(rank, entityRank[d], set)
        }
      }
    }
    var warnings: [Diagnostic] = []
    let hostNetworkWorkloads = Set(
      cluster.pods.indices.filter { engine.isHostNetwork($0) }.map { cluster.pods[$0].workload })
    for workload in hostNetworkWorkloads.sorted() where cluster.workloads.indices.contains(workload) {
      let w = cluster.workloads[workload]
      warnings.append(
        .warning(
          .hostNetwork,
          "\(w.displayName) uses hostNetwork: its traffic carries the node's address, and whether pod selectors govern it depends on the CNI; it is analysed here as an ordinary pod",
          at: w.location))
    }
    if ranges.mentionsIPv6 && !options.includeIPv6 {
      warnings.append(
        .warning(.ipv6Omitted, "policies name IPv6 blocks; IPv6 external ranges are listed only with --ipv6", at: nil)
      )
    }
    if let ingressController, case .pod(let controllerPod) = ingressController {
      let ingress = IngressControllerStandIn.connections(cluster: cluster, entities: entities)
      for (dstPeer, dstPod, exposed) in ingress {
        guard focus.includes(.ingressController, dstPeer) else { continue }
        let allowed = exposed.intersection(engine.connections(from: ingressController, to: .pod(dstPod)))
        if allowed.isEmpty {
          warnings.append(
            .warning(
              .ingressBlocked,
              "Route/Ingress specified \(dstPeer.name) as a backend, but network policies are blocking ingress connections from an arbitrary in-cluster source to this workload",
              at: cluster.workloads.indices.contains(cluster.pods[dstPod].workload)
                ? cluster.workloads[cluster.pods[dstPod].workload].location : nil))
        }
        guard wanted(allowed) else { continue }
        guard
          let set = meshIndex(
            .podClass(engine.podClass(controllerPod)), .podClass(engine.podClass(dstPod)), allowed)
        else { continue }
        builder.append(builder.rank(of: .ingressController), builder.rank(of: dstPeer), set)
      }
    }
    let peers = entities.map(\.peer).filter { focus.isFocus($0) }
    var report = ConnectivityReport(
      rows: builder.finish(), peers: peers, focusConnection: options.focusConnection, warnings: warnings)
    if options.exposure {
      report.exposure = ExposureAnalysis(
        cluster: cluster, engine: engine, options: options, entities: entities, focus: focus
      )
      .report(rows: Array(report.rows))
      report.exposure?.meshPlaintext = meshPlaintextExposure(report.rows)
    }
    return report
  }

  /// Rows where a client outside the mesh (no sidecar, not ambient, or an external range)
  /// reaches a mesh server in plaintext: the server is PERMISSIVE or DISABLE on those ports.
  func meshPlaintextExposure(_ rows: ConnectionRows) -> [ExposureReport.Line] {
    guard engine.mesh != nil else { return [] }
    var podOf: [String: Int] = [:]
    for entity in entities { podOf[entity.peer.name] = entity.pod }
    var lines: [ExposureReport.Line] = []
    for row in rows {
      guard let mesh = row.mesh, let server = podOf[row.destination.name],
        engine.meshDataplane(ofPod: server) != .none
      else { continue }
      switch row.source.kind {
      case .external, .ingressController: break
      case .workload, .pod:
        guard let client = podOf[row.source.name], engine.meshDataplane(ofPod: client) == .none else { continue }
      }
      let plain = mesh.parts.filter { $0.transport == .plaintext && $0.allowed }
      guard !plain.isEmpty else { continue }
      let conns = plain.reduce(ConnectionSet.none) { $0.union($1.connections) }
      lines.append(
        ExposureReport.Line(exposed: row.destination, other: .peer(row.source), connections: conns, meshPlaintext: true)
      )
    }
    return lines.sorted { ($0.exposed.name, $0.other.name) < ($1.exposed.name, $1.other.name) }
  }

  /// The indices of the engine's external ranges inside a reported range.
  func engineRangeIndices(inside peer: ReportPeer) -> [Int] {
    guard case .external(let range) = peer.kind else { return [] }
    return engine.externalRanges.indices.filter { range.contains(engine.externalRanges[$0]) }
  }
}
