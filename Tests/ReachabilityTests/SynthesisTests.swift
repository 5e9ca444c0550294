import KubeModel
import Reachability
import Synthesis
import TestSupport
import Testing

@Suite("Synthesis")
struct SynthesisTests {
  @Test("SplitMix64 is deterministic and seed-dependent")
  func prng() {
    var a = SplitMix64(seed: 1)
    var b = SplitMix64(seed: 1)
    var c = SplitMix64(seed: 2)
    let xs = (0..<5).map { _ in a.next() }
    #expect(xs == (0..<5).map { _ in b.next() })
    #expect(xs != (0..<5).map { _ in c.next() })
  }

  @Test("SyntheticCluster: sizes, replicas, determinism, one pod per workload")
  func synthetic() {
    let a = SyntheticCluster.generate(pods: 300, namespaces: 10, policies: 30, seed: 3)
    let b = SyntheticCluster.generate(pods: 300, namespaces: 10, policies: 30, seed: 3)
    #expect(a.pods == b.pods && a.networkPolicies == b.networkPolicies)
    #expect(a.pods.count == 300 && a.namespaces.count == 10 && a.networkPolicies.count == 30)
    let perWorkload = Dictionary(grouping: a.pods, by: \.workload).mapValues(\.count)
    #expect(perWorkload.values.allSatisfy { (1...5).contains($0) })
    #expect(a.workloads.contains { $0.kind == .statefulSet } && !a.services.isEmpty)
    let one = SyntheticCluster.generate(
      pods: 100, namespaces: 5, policies: 10, seed: 3, onePodPerWorkload: true)
    #expect(one.pods.count == one.workloads.count)
    let admin = SyntheticCluster.generate(
      pods: 100, namespaces: 5, policies: 10, seed: 3, adminPolicies: 4)
    #expect(admin.adminNetworkPolicies.count == 4 && admin.baselineAdminNetworkPolicies.count == 1)
  }

  @Test("SyntheticCluster with admin policies agrees with the reference")
  func syntheticWithAdmin() {
    let cluster = SyntheticCluster.generate(
      pods: 60, namespaces: 4, policies: 12, seed: 11, adminPolicies: 4)
    #expect(compareWithReference(cluster, options: .init()).isEmpty)
  }

  @Test("RandomCluster is deterministic")
  func random() {
    let a = RandomCluster.generate(seed: 99)
    let b = RandomCluster.generate(seed: 99)
    #expect(
      a.pods == b.pods && a.networkPolicies == b.networkPolicies
        && a.adminNetworkPolicies == b.adminNetworkPolicies)
  }
}
