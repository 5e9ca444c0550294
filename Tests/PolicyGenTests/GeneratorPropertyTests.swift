import KubeModel
import Manifests
import Reachability
import Synthesis
import TestSupport
import Testing

@testable import PolicyGen

/// Random clusters and random flow sets: every admissible flow is allowed by the generated
/// policies, and the least-privilege gap is exactly what the slow reference evaluator finds
/// (zero whenever every selector is exact), both read from the bytes the generator writes.
@Suite struct GeneratorPropertyTests {
  static func randomFlows(_ cluster: Cluster, seed: UInt64) -> [ResolvedFlow] {
    var rng = SplitMix64(seed: seed &* 7919)
    let externals = ["192.168.1.7/32", "10.0.0.0/8", "203.0.113.0/24", "2001:db8::1/128"].compactMap { CIDR($0) }
    var flows: [ResolvedFlow] = []
    for i in 0..<rng.inRange(1...6) {
      func end() -> FlowPeer {
        if rng.chance(0.2) { return .external(rng.pick(externals)) }
        return .workload(rng.below(cluster.workloads.count))
      }
      var s = end()
      let d = end()
      if case .external = s, case .external = d { s = .workload(0) }
      var port = rng.pick([53, 80, 443, 8080, 9090, 5432, 1234])
      var proto = rng.chance(0.7) ? TransportProtocol.tcp : rng.pick(TransportProtocol.allCases)
      if case .workload(let w) = d, let declared = cluster.pods[w].ports.first, rng.chance(0.5) {
        port = declared.port
        proto = declared.protocol
      }
      flows.append(
        ResolvedFlow(
          source: s, destination: d, transport: proto, port: port, count: 1,
          location: SourceLocation(file: "flows", line: i + 1, column: 1)))
    }
    return flows
  }

  static func endpoint(_ p: FlowPeer) -> ReferenceEvaluator.Endpoint {
    switch p {
    case .workload(let w), .pod(let w): return .pod(w)  // bare pods: workload i is pod i
    case .external(let c): return .address(c.range.lowerAddress)
    }
  }

  @Test func everyAdmissibleFlowIsAllowedAndTheGapIsExact() throws {
    var exactRuns = 0
    var notAdmissibleSeen = 0
    for seed in UInt64(1)...120 {
      let cluster = RandomCluster.generate(seed: seed, maxPods: 7, maxPolicies: 5)
      let flows = Self.randomFlows(cluster, seed: seed)
      let result = PolicyGenerator.fromFlows(cluster: cluster, flows: flows, defaultDeny: true, allowDNS: false)
      let bytes = result.render(.yaml)
      let report = PolicyVerifier.verify(
        bytes: bytes, cluster: cluster, flows: flows,
        baseline: Set(result.policies.filter(\.role.isBaseline).map(\.key)), defaultDeny: true)
      #expect(report.passed, "seed \(seed): \(report.lines(in: cluster))")
      notAdmissibleSeen += report.notAdmissible.count

      // The same bytes, read back, judged by the reference evaluator.
      let generated = ManifestLoader.load(bytes: bytes, file: "generated").cluster.networkPolicies
      #expect(generated.count == result.policies.count)
      let after = ReferenceEvaluator(cluster: PolicyVerifier.merge(cluster, generated))
      let denyOnly = generated.filter { $0.name == "default-deny" }
      let before = ReferenceEvaluator(cluster: PolicyVerifier.merge(cluster, denyOnly))
      let notAdmissible = Set(report.notAdmissible.map(\.flow))
      for f in flows where !notAdmissible.contains(f) {
        #expect(
          after.allows(from: Self.endpoint(f.source), to: Self.endpoint(f.destination), f.transport, f.port),
          "seed \(seed): \(f.summary(in: cluster)) not allowed")
      }
      for n in report.notAdmissible {
        #expect(
          n.reason.contains("AdminNetworkPolicy") || n.reason.contains("host network"), "seed \(seed): \(n.reason)")
      }
      // The gap, pair by pair.
      var asked: [[Int]: [TransportProtocol: [PortRange]]] = [:]
      for f in flows {
        guard let s = f.source.workload(in: cluster), let d = f.destination.workload(in: cluster) else { continue }
        asked[[s, d], default: [:]][f.transport, default: []].append(PortRange(f.port, f.port))
      }
      var expected = Set<[Int]>()
      for s in cluster.pods.indices {
        for d in cluster.pods.indices where s != d {
          let grown = after.connections(from: .pod(s), to: .pod(d))
            .subtracting(before.connections(from: .pod(s), to: .pod(d)))
            .subtracting(ConnectionSet(asked[[s, d]] ?? [:]))
          if !grown.isEmpty { expected.insert([s, d]) }
        }
      }
      let found = Set((report.gap ?? []).map { [$0.source, $0.destination] })
      #expect(
        found == expected,
        "seed \(seed): gap \(found.sorted { $0.lexicographicallyPrecedes($1) }) vs reference \(expected.sorted { $0.lexicographicallyPrecedes($1) })"
      )
      var finder = StableSelectorFinder(cluster: cluster)
      let used = Set(
        flows.flatMap { [$0.source.workload(in: cluster), $0.destination.workload(in: cluster)] }.compactMap { $0 })
      if used.allSatisfy({ finder.selector(for: $0).isExact }) {
        exactRuns += 1
        #expect(report.gap?.isEmpty == true, "seed \(seed): exact selectors but a gap")
      }
    }
    #expect(exactRuns > 10)
    #expect(notAdmissibleSeen > 0)
  }
}
