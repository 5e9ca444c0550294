import KubeModel
import Reachability
import Synthesis
import Testing

/// The mesh stage's fast path (classes, profiles, cuts, caches) against the literal reading
/// in `MeshReference`, on seeded random clusters with random mesh objects.
@Suite("Mesh stage agrees with the literal reading")
struct MeshPropertyTests {
  static let ports = [1, 53, 80, 443, 1053, 1080, 5432, 8080, 9090, 9443, 65535]

  /// `waypointFlowsOnly`: only flows to pods whose namespace or own labels name a waypoint, and
  /// flows addressed to Services (cheaper, for more seeds).
  static func compare(seed: UInt64, maxPods: Int = 8, waypointFlowsOnly: Bool = false) -> [String] {
    var cluster = RandomCluster.generate(seed: seed, maxPods: maxPods)
    RandomMesh.add(to: &cluster, seed: seed)
    let nsLabels = cluster.namespaceLabelsByName()
    /// Whether the flows to pod `d` may involve a waypoint (a label on it or its namespace).
    func enrolled(_ d: Int) -> Bool {
      let pod = cluster.pods[d]
      return pod.labels[IstioLabel.useWaypoint] != nil || nsLabels[pod.namespace]?[IstioLabel.useWaypoint] != nil
    }
    if waypointFlowsOnly && !cluster.pods.indices.contains(where: enrolled)
      && !cluster.services.contains(where: { $0.labels[IstioLabel.useWaypoint] != nil })
    {
      return []
    }
    let options = MeshOptions(enabled: true)
    let engine = ReachabilityEngine(cluster: cluster, options: EngineOptions(mesh: options))
    let reference = MeshReference(cluster: cluster, options: options)
    var failures: [String] = []
    func check(_ what: String, _ verdict: MeshVerdict?, _ conns: ConnectionSet, _ src: MeshReference.Source, _ d: Int) {
      for port in Self.ports where conns.contains(.tcp, port) && failures.count < 3 {
        guard let part = verdict?.parts.first(where: { $0.connections.contains(.tcp, port) }) else {
          failures.append("\(what) TCP \(port): no mesh part")
          continue
        }
        let got = "\(part.transport.rawValue)/\(part.authorization.rawValue)"
        let want = reference.outcome(src, d, port)
        if got != want { failures.append("\(what) TCP \(port): stage \(got), reference \(want)") }
      }
    }
    for s in cluster.pods.indices {
      for d in cluster.pods.indices where s != d && (!waypointFlowsOnly || enrolled(d)) {
        let conns = engine.connections(from: .pod(s), to: .pod(d))
        check(
          "pod \(s) -> pod \(d)", engine.meshVerdict(from: .pod(s), to: .pod(d), connections: conns), conns, .pod(s), d)
      }
    }
    // Flows addressed to a Service (as `explain A svc:ns/name`): the Service's waypoint, by its
    // traffic type, instead of the pod's.
    for (si, svc) in cluster.services.enumerated() {
      for d in cluster.pods.indices
      where cluster.pods[d].namespace == svc.namespace
        && (svc.selector.map { !$0.isEmpty && $0.allSatisfy { cluster.pods[d].labels[$0.key] == $0.value } } ?? false)
      {
        for s in cluster.pods.indices where s != d {
          let conns = engine.connections(from: .pod(s), to: .pod(d))
          for port in Self.ports where conns.contains(.tcp, port) && failures.count < 3 {
            let one = ConnectionSet([.tcp: [PortRange(port, port)]])
            let verdict = engine.meshVerdict(from: .pod(s), to: .pod(d), connections: one, service: si)
            let part = verdict?.parts.first
            let got = part.map { "\($0.transport.rawValue)/\($0.authorization.rawValue)" } ?? "no mesh part"
            let want = reference.outcome(.pod(s), d, port, service: si)
            if got != want {
              failures.append("pod \(s) -> svc \(svc.name) pod \(d) TCP \(port): stage \(got), reference \(want)")
            }
          }
        }
      }
    }
    if waypointFlowsOnly { return failures }
    for range in engine.externalRanges where range.family == .v4 {
      for d in cluster.pods.indices {
        let conns = engine.connections(from: .external(range), to: .pod(d))
        check(
          "\(range.lowerAddress) -> pod \(d)",
          engine.meshVerdict(from: .external(range), to: .pod(d), connections: conns), conns,
          .address(range.lowerAddress), d)
      }
    }
    // The table path (verdicts interned under coarse keys) gives the same verdicts.
    let table = engine.classConnectionTable()
    let batch = engine.meshVerdictIDs(for: table) ?? []
    if batch.count != table.count { failures.append("batch ids: \(batch.count) for \(table.count) rows") }
    for (row, id) in batch.enumerated() where failures.count < 3 {
      let conns = table.connections(row)
      let direct = engine.meshVerdict(from: table.source(row), to: table.destination(row), connections: conns)
      if engine.meshVerdict(id: id) != direct { failures.append("batch row \(row) differs from the direct verdict") }
    }
    for row in table.indices where failures.count < 3 {
      let conns = table.connections(row)
      let direct = engine.meshVerdict(from: table.source(row), to: table.destination(row), connections: conns)
      let viaID = engine.meshVerdictID(
        from: table.source(row), to: table.destination(row), connections: conns, setKey: table.connectionIndex(row)
      ).flatMap { engine.meshVerdict(id: $0) }
      if direct != viaID {
        failures.append(
          "table row \(row): interned \(viaID.map(\.description) ?? "nil"), direct \(direct.map(\.description) ?? "nil")"
        )
      }
    }
    return failures
  }

  @Test("400 random clusters with random mesh objects")
  func randomClusters() {
    var failing: [String] = []
    var touched = 0
    for seed in UInt64(0)..<400 {
      let failures = Self.compare(seed: seed)
      if !failures.isEmpty { failing.append("seed \(seed): \(failures.joined(separator: "; "))") }
      touched += 1
    }
    #expect(failing.isEmpty, "\(failing.prefix(8).joined(separator: "\n"))")
  }

  @Test("flows to pods and Services enrolled in waypoints, on more random clusters")
  func serviceAddressed() {
    var failing: [String] = []
    for seed in UInt64(400)..<2_000 {
      let failures = Self.compare(seed: seed, waypointFlowsOnly: true)
      if !failures.isEmpty { failing.append("seed \(seed): \(failures[0])") }
    }
    #expect(failing.isEmpty, "\(failing.prefix(8).joined(separator: "\n"))")
  }

  @Test("larger random clusters")
  func largerClusters() {
    var failing: [String] = []
    for seed in UInt64(20_000)..<20_030 {
      let failures = Self.compare(seed: seed, maxPods: 20)
      if !failures.isEmpty { failing.append("seed \(seed): \(failures[0])") }
    }
    #expect(failing.isEmpty, "\(failing.prefix(8).joined(separator: "\n"))")
  }

  @Test("random mesh clusters reach every outcome")
  func coverage() {
    var seen = Set<String>()
    for seed in UInt64(0)..<400 {
      var cluster = RandomCluster.generate(seed: seed)
      RandomMesh.add(to: &cluster, seed: seed)
      let reference = MeshReference(cluster: cluster, options: MeshOptions(enabled: true))
      for s in cluster.pods.indices {
        for d in cluster.pods.indices where s != d {
          for port in [80, 8080, 9090] { seen.insert(reference.outcome(.pod(s), d, port)) }
        }
      }
    }
    for outcome in [
      "mtls/allowed", "mtls/denied", "mtls/depends-on-L7", "plaintext/allowed", "plaintext/denied",
      "plaintext/not-applicable", "rejected/not-applicable", "failed/not-applicable", "none/not-applicable",
    ] {
      #expect(seen.contains(outcome), "never saw \(outcome): \(seen.sorted())")
    }
  }
}
