import Foundation
import KubeModel
import Manifests
import Reachability
import Synthesis
import TestSupport
import Testing

@Suite("Explanations")
struct ExplanationTests {

  @Test("allowed segments of an explanation equal the verdict, on random clusters")
  func explanationsAgreeWithVerdicts() {
    var failing: [String] = []
    for seed in UInt64(0)..<150 {
      let cluster = RandomCluster.generate(seed: seed)
      let engine = ReachabilityEngine(cluster: cluster)
      var peers: [Peer] = cluster.pods.indices.map { .pod($0) }
      peers += engine.externalRanges.prefix(3).map { .external($0) }
      for s in peers {
        for d in peers {
          let e = engine.explain(from: s, to: d)
          let union = e.segments.reduce(ConnectionSet.none) { $0.union($1.connections) }
          if e.allowedConnections != engine.connections(from: s, to: d)
            || (!union.isAll && !(isExternal(s) && isExternal(d)))
          {
            failing.append("seed \(seed) \(s) -> \(d)")
          }
        }
      }
    }
    #expect(failing.isEmpty, "\(failing.prefix(5))")
  }

  func isExternal(_ p: Peer) -> Bool {
    if case .external = p { return true }
    return false
  }

  @Test(
    "anp_banp_blog_demo: pass then NetworkPolicy; BANP deny; NP selects without allowing",
    .enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func blogDemo() throws {
    let dir = TestCorpus.netpolAnalyzerTest("anp_banp_blog_demo")
    let loaded = ManifestLoader.load(paths: [dir])
    let engine = ReachabilityEngine(cluster: loaded.cluster)
    func pod(_ name: String) throws -> Peer {
      .pod(try #require(loaded.cluster.pods.firstIndex { $0.name == name }))
    }
    let monitoringToFoo = engine.explain(from: try pod("mymonitoring"), to: try pod("myfoo"))
    #expect(monitoringToFoo.segments.count == 1)
    let seg = try #require(monitoringToFoo.segments.first)
    #expect(seg.allowed && seg.connections.isAll)
    #expect(seg.egress.isSystemDefault)
    #expect(seg.ingress.adminRules.map(\.policy) == ["pass-monitoring"])
    #expect(seg.ingress.adminRules.first?.action == .pass)
    #expect(seg.ingress.adminRules.first?.ruleName == "pass-ingress-from-monitoring")
    #expect(seg.ingress.allowingRules.map(\.policy) == ["foo/allow-monitoring"])
    #expect(seg.ingress.allowingRules.first?.ruleIndex == 0)

    let bazToBar = try #require(
      engine.explain(from: try pod("mybaz"), to: try pod("mybar")).segments.first)
    #expect(!bazToBar.allowed)
    #expect(bazToBar.ingress.decidingTier == .baselineAdminNetworkPolicy)
    #expect(bazToBar.ingress.baselineRule?.ruleName == "deny-ingress-from-all-namespaces")

    let bazToFoo = try #require(
      engine.explain(from: try pod("mybaz"), to: try pod("myfoo")).segments.first)
    #expect(!bazToFoo.allowed)
    #expect(bazToFoo.ingress.unmatchedPolicies.map(\.policy.policy) == ["foo/allow-monitoring"])
    #expect(bazToFoo.ingress.unmatchedPolicies.first?.noRulesDefined == false)
  }

  @Test(
    "corpus scenarios: engine and reference agree on every pair",
    .enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func corpusScenarios() {
    let names = [
      "anp_banp_blog_demo", "netpol-demo", "anp_and_banp_using_networks_and_nodes_test",
      "ipblockstest",
      "anp_banp_test_with_named_port_matched", "anp_banp_test_with_named_port_unmatched",
      "netpol_named_port_test",
      "onlineboutique", "acs-security-demos", "anp_test_10", "anp_demo",
    ]
    var failing: [String] = []
    for name in names {
      let dir = TestCorpus.netpolAnalyzerTest(name)
      let loaded = ManifestLoader.load(paths: [dir])
      let failures = compareWithReference(loaded.cluster, options: .init(), limit: 2)
      if !failures.isEmpty { failing.append("\(name): \(failures[0])") }
    }
    #expect(failing.isEmpty, "\(failing)")
  }
}
