import KubeModel
import Synthesis
import Testing

@testable import Reachability

/// `policiesChangingNothing()` (profiles re-evaluated without the policy) against the brute
/// force: compile the cluster again without each policy and compare every half-verdict (ingress
/// at each pod from each pod and external range, egress from each pod likewise).
@Suite struct ShadowingPropertyTests {
  /// Each direction's verdict, pod by pod, as connection sets keyed by text.
  /// nil when one of `ranges` has no counterpart in `engine` (its cluster names no IPv6 block
  /// any more): then the two cannot be compared range by range.
  static func halves(_ engine: ReachabilityEngine, ranges: [IPRange]) -> [String: ConnectionSet]? {
    var out: [String: ConnectionSet] = [:]
    let pods = engine.cluster.pods.indices
    func peer(_ p: Peer) -> [Int] {
      switch p {
      case .pod(let i): return [engine.podClass(i)]
      case .external(let r): return engine.externalIndices(overlapping: r).map { engine.classCount + $0 }
      }
    }
    for d in pods {
      let cls = engine.podClass(d)
      for s in pods where s != d {
        out["in \(s)>\(d)"] = engine.connectionSet(engine.ingressAtoms(dst: cls, from: engine.podClass(s)))
        out["out \(s)>\(d)"] = engine.connectionSet(engine.egressAtoms(src: engine.podClass(s), to: cls))
      }
      for r in ranges {
        let index = peer(.external(r))
        guard index.count == 1 else { return nil }
        out["in \(r)>\(d)"] = engine.connectionSet(engine.ingressAtoms(dst: cls, from: index[0]))
        out["out \(d)>\(r)"] = engine.connectionSet(engine.egressAtoms(src: cls, to: index[0]))
      }
    }
    return out
  }

  @Test(arguments: 0..<150) func agreesWithRecompiling(seed: Int) {
    let cluster = RandomCluster.generate(seed: UInt64(seed) &* 7919 &+ 13, maxPods: 7, maxPolicies: 7)
    let engine = ReachabilityEngine(cluster: cluster)
    let ranges = engine.externalRanges
    let base = Self.halves(engine, ranges: ranges)
    var found = Set(engine.policiesChangingNothing().map { "\($0.policy.kind) \($0.policy.policy)" })
    var expected = Set<String>()
    /// Records the brute-force answer for one policy, or drops it when not comparable.
    func judge(_ name: String, _ without: Cluster) {
      guard let other = Self.halves(ReachabilityEngine(cluster: without), ranges: ranges) else {
        found.remove(name)
        return
      }
      if other == base { expected.insert(name) }
    }
    for (i, np) in cluster.networkPolicies.enumerated() where !engine.subjectClasses(networkPolicy: i).isEmpty {
      var without = cluster
      without.networkPolicies.remove(at: i)
      // Two policies may share a name in random clusters; only unique names are comparable.
      guard cluster.networkPolicies.filter({ $0.namespace == np.namespace && $0.name == np.name }).count == 1 else {
        continue
      }
      judge("NetworkPolicy \(np.namespace)/\(np.name)", without)
    }
    for (i, anp) in cluster.adminNetworkPolicies.enumerated()
    where !engine.subjectClasses(adminNetworkPolicy: i).isEmpty {
      guard cluster.adminNetworkPolicies.filter({ $0.name == anp.name }).count == 1 else { continue }
      var without = cluster
      without.adminNetworkPolicies.remove(at: i)
      judge("AdminNetworkPolicy \(anp.name)", without)
    }
    if let banp = cluster.baselineAdminNetworkPolicies.first, !engine.baselineSubjectClasses.isEmpty {
      var without = cluster
      without.baselineAdminNetworkPolicies.removeAll()
      judge("BaselineAdminNetworkPolicy \(banp.name)", without)
    }
    let comparable = found.filter { name in
      let np = cluster.networkPolicies.filter { "NetworkPolicy \($0.namespace)/\($0.name)" == name }.count
      let anp = cluster.adminNetworkPolicies.filter { "AdminNetworkPolicy \($0.name)" == name }.count
      return np <= 1 && anp <= 1
    }
    #expect(comparable == expected, "seed \(seed)")
  }
}
