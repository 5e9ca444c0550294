import Analysis
import KubeModel
import Reachability
import Synthesis
import Testing

/// `DiffReport` merges compact row tables; on random pairs of versions its pod-to-pod rows equal
/// a naive comparison of the two reports' rows by name.
@Suite struct DiffPropertyTests {
  @Test func mergedTablesEqualANaiveComparison() throws {
    var failing: [String] = []
    var compared = 0
    for seed in UInt64(0)..<80 {
      let before = RandomCluster.generate(seed: seed)
      var after = before
      after.networkPolicies = RandomCluster.generate(seed: seed + 10_000).networkPolicies.map {
        var policy = $0
        policy.namespace = before.namespaces.first?.name ?? policy.namespace
        return policy
      }
      if seed % 3 == 0 { after.pods.removeLast() }
      var options = ConnectivityOptions()
      options.granularity = .pod
      let old = try ConnectivityAnalyzer(cluster: before, options: options).report()
      let new = try ConnectivityAnalyzer(cluster: after, options: options).report()
      func pods(_ report: ConnectivityReport) -> [String: ConnectionSet] {
        var out: [String: ConnectionSet] = [:]
        for row in report.rows where !row.source.isExternal && !row.destination.isExternal {
          out[row.source.name + " => " + row.destination.name] = row.connections
        }
        return out
      }
      let a = pods(old)
      let b = pods(new)
      var want: Set<String> = []
      for key in Set(a.keys).union(b.keys) where a[key] != b[key] {
        let kind = a[key] == nil ? "added" : b[key] == nil ? "removed" : "changed"
        want.insert("\(kind) \(key): \(a[key] ?? .none) -> \(b[key] ?? .none)")
      }
      let diff = DiffReport(before: old, after: new)
      let got = Set(
        diff.rows.filter { !$0.source.isExternal && !$0.destination.isExternal }.map {
          "\($0.kind.rawValue) \($0.source.name) => \($0.destination.name): \($0.before) -> \($0.after)"
        })
      compared += want.count
      if got != want {
        failing.append("seed \(seed): \(got.symmetricDifference(want).sorted().prefix(3))")
      }
      // Unchanged rows (for graphs) are the new version's rows that did not change.
      let unchangedPods = diff.unchanged.filter { !$0.source.isExternal && !$0.destination.isExternal }
      let expectedUnchanged = b.filter { a[$0.key] == $0.value }.count
      if unchangedPods.count != expectedUnchanged {
        failing.append("seed \(seed): \(unchangedPods.count) unchanged rows, expected \(expectedUnchanged)")
      }
    }
    #expect(compared > 200)
    #expect(failing.isEmpty, "\(failing.prefix(5).joined(separator: "\n"))")
  }
}
