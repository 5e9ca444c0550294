import KubeModel
import Reachability
import Synthesis
import TestSupport
import Testing

/// Compares the engine with the reference evaluator on one cluster; returns the mismatches.
func compareWithReference(_ cluster: Cluster, options: EngineOptions, limit: Int = 5) -> [String] {
  let engine = ReachabilityEngine(cluster: cluster, options: options)
  let reference = ReferenceEvaluator(cluster: cluster, options: options)
  var failures: [String] = []
  func check(
    _ what: String, _ got: ConnectionSet, _ src: ReferenceEvaluator.Endpoint,
    _ dst: ReferenceEvaluator.Endpoint
  ) {
    guard failures.count < limit else { return }
    let want = reference.connections(from: src, to: dst)
    if got != want {
      failures.append("\(what): engine \(got) reference \(want)")
      return
    }
    for atom in engine.portAtoms {
      for port in Set([atom.range.lower, atom.range.upper]) {
        let r = reference.allows(from: src, to: dst, atom.proto, port)
        if got.contains(atom.proto, port) != r {
          failures.append("\(what): \(atom.proto) \(port) engine \(!r) reference \(r)")
          return
        }
      }
    }
  }
  let n = cluster.pods.count
  var expected: [String: ConnectionSet] = [:]
  for s in 0..<n {
    for d in 0..<n where s != d {
      let got = engine.connections(from: .pod(s), to: .pod(d))
      if !got.isEmpty { expected["\(s)>\(d)"] = got }
      check("pod \(s) -> pod \(d)", got, .pod(s), .pod(d))
    }
    for range in engine.externalRanges {
      let out = engine.connections(from: .pod(s), to: .external(range))
      let into = engine.connections(from: .external(range), to: .pod(s))
      if !out.isEmpty { expected["\(s)>\(range)"] = out }
      if !into.isEmpty { expected["\(range)>\(s)"] = into }
      for address in [range.lowerAddress, range.upperAddress] {
        check("pod \(s) -> \(address)", out, .pod(s), .address(address))
        check("\(address) -> pod \(s)", into, .address(address), .pod(s))
      }
    }
  }
  var listed: [String: ConnectionSet] = [:]
  for (src, dst, conns) in engine.allConnections() {
    let key: String
    switch (src, dst) {
    case (.pod(let a), .pod(let b)): key = "\(a)>\(b)"
    case (.pod(let a), .external(let r)): key = "\(a)>\(r)"
    case (.external(let r), .pod(let b)): key = "\(r)>\(b)"
    case (.external, .external): key = "ext"
    }
    listed[key] = conns
  }
  if listed != expected && failures.count < limit {
    let diff = Set(listed.keys).symmetricDifference(expected.keys).sorted().prefix(5)
    failures.append("allConnections differs from pairwise connections, e.g. \(Array(diff))")
  }
  return failures
}

@Suite("Engine agrees with the reference evaluator")
struct PropertyTests {
  @Test("600 random clusters, both ipBlock readings")
  func randomClusters() {
    var failing: [String] = []
    for seed in UInt64(0)..<600 {
      let cluster = RandomCluster.generate(seed: seed)
      let options = EngineOptions(ipBlockMatchesPodIPs: seed % 3 == 2)
      let failures = compareWithReference(cluster, options: options)
      if !failures.isEmpty {
        failing.append(
          "seed \(seed) (ipBlockMatchesPodIPs: \(options.ipBlockMatchesPodIPs)): \(failures[0])")
      }
    }
    #expect(
      failing.isEmpty,
      "replay with RandomCluster.generate(seed:):\n\(failing.prefix(10).joined(separator: "\n"))")
  }

  @Test("larger random clusters")
  func largerClusters() {
    var failing: [String] = []
    for seed in UInt64(10_000)..<10_040 {
      let cluster = RandomCluster.generate(seed: seed, maxPods: 20, maxPolicies: 12)
      let failures = compareWithReference(
        cluster, options: EngineOptions(ipBlockMatchesPodIPs: seed % 2 == 1))
      if !failures.isEmpty { failing.append("seed \(seed): \(failures[0])") }
    }
    #expect(failing.isEmpty, "\(failing.prefix(10).joined(separator: "\n"))")
  }

  @Test("synthetic realistic cluster")
  func syntheticCluster() {
    let cluster = SyntheticCluster.generate(pods: 60, namespaces: 3, policies: 10, seed: 7)
    let failures = compareWithReference(cluster, options: .init())
    #expect(failures.isEmpty, "\(failures)")
  }
}

@Suite("Random clusters cover every kind of verdict")
struct CoverageTests {
  @Test("ANP allow/deny/pass, NP, BANP, default, partial port sets and ipBlock splits all occur")
  func coverage() {
    var seen: [String: Int] = [:]
    for seed in UInt64(0)..<200 {
      let cluster = RandomCluster.generate(seed: seed)
      let engine = ReachabilityEngine(cluster: cluster)
      if engine.externalRanges.count > 2 { seen["ipBlock splits", default: 0] += 1 }
      for s in cluster.pods.indices {
        for d in cluster.pods.indices where s != d {
          let conns = engine.connections(from: .pod(s), to: .pod(d))
          if !conns.isAll && !conns.isEmpty { seen["partial", default: 0] += 1 }
          for seg in engine.explain(from: .pod(s), to: .pod(d)).segments {
            for dir in [seg.egress, seg.ingress] {
              seen["tier \(dir.decidingTier) \(dir.allowed)", default: 0] += 1
              if dir.adminRules.first?.action == .pass { seen["pass", default: 0] += 1 }
            }
          }
        }
      }
    }
    for key in [
      "ipBlock splits", "partial", "pass", "tier adminNetworkPolicy true",
      "tier adminNetworkPolicy false",
      "tier networkPolicy true", "tier networkPolicy false", "tier baselineAdminNetworkPolicy true",
      "tier baselineAdminNetworkPolicy false", "tier systemDefault true",
    ] {
      #expect((seen[key] ?? 0) > 0, "never saw \(key): \(seen)")
    }
  }
}
