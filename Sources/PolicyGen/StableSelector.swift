import KubeModel

/// The pod selector a generated policy uses for a workload: its stable labels.
public struct WorkloadSelector: Hashable, Sendable {
  /// The labels to match.
  public var labels: [String: String]
  /// Pods of the namespace the labels select besides the workload's own (empty when exact), by
  /// index into `Cluster.pods`.
  public var alsoSelects: [Int]

  public var isExact: Bool { alsoSelects.isEmpty }
}

/// Finds stable label selectors for workloads: `app.kubernetes.io/name` or `app` when it selects
/// exactly the workload's pods in its namespace, else the smallest label set that does (fewest
/// labels, then by key), never a controller-made label such as `pod-template-hash`.
public struct StableSelectorFinder {
  /// Labels that controllers set per revision or per pod: never used in a selector.
  public static let volatileKeys: Set<String> = [
    "pod-template-hash", "controller-revision-hash", "pod-template-generation", "controller-uid",
    "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-completion-index",
  ]
  /// The keys tried first, alone.
  public static let preferredKeys = ["app.kubernetes.io/name", "app"]
  /// The largest label set tried.
  static let maxKeys = 4

  let cluster: Cluster
  let podsOfWorkload: [[Int]]
  let podsOfNamespace: [String: [Int]]
  private var cache: [Int: WorkloadSelector] = [:]

  public init(cluster: Cluster) {
    self.cluster = cluster
    var of = Array(repeating: [Int](), count: cluster.workloads.count)
    var ns: [String: [Int]] = [:]
    for (i, pod) in cluster.pods.enumerated() {
      if of.indices.contains(pod.workload) { of[pod.workload].append(i) }
      ns[pod.namespace, default: []].append(i)
    }
    podsOfWorkload = of
    podsOfNamespace = ns
  }

  /// The selector of a workload (cached).
  public mutating func selector(for workload: Int) -> WorkloadSelector {
    if let hit = cache[workload] { return hit }
    let found = find(workload)
    cache[workload] = found
    return found
  }

  func find(_ workload: Int) -> WorkloadSelector {
    let own = podsOfWorkload[workload]
    let ownSet = Set(own)
    let namespace = cluster.workloads[workload].namespace
    // The labels every pod of the workload carries with the same value.
    var common = own.first.map { cluster.pods[$0].labels } ?? cluster.workloads[workload].podLabels
    for p in own.dropFirst() {
      let labels = cluster.pods[p].labels
      common = common.filter { labels[$0.key] == $0.value }
    }
    common = common.filter { !Self.volatileKeys.contains($0.key) }
    let others = (podsOfNamespace[namespace] ?? []).filter { !ownSet.contains($0) }
    func extra(_ labels: [String: String]) -> [Int] {
      others.filter { p in labels.allSatisfy { cluster.pods[p].labels[$0.key] == $0.value } }
    }
    for key in Self.preferredKeys {
      if let value = common[key], extra([key: value]).isEmpty {
        return WorkloadSelector(labels: [key: value], alsoSelects: [])
      }
    }
    let keys = common.keys.sorted()
    var size = 1
    while size <= min(keys.count, Self.maxKeys) {
      var found: [String: String]? = nil
      combinations(keys.count, size) { picks in
        let labels = Dictionary(uniqueKeysWithValues: picks.map { (keys[$0], common[keys[$0]]!) })
        if extra(labels).isEmpty {
          found = labels
          return true
        }
        return false
      }
      if let found { return WorkloadSelector(labels: found, alsoSelects: []) }
      size += 1
    }
    return WorkloadSelector(labels: common, alsoSelects: extra(common))
  }

  /// Calls `body` with each `k`-subset of `0..<n` in lexicographic order until it returns true.
  func combinations(_ n: Int, _ k: Int, _ body: ([Int]) -> Bool) {
    var picks = Array(0..<k)
    var tried = 0
    while true {
      if body(picks) { return }
      tried += 1
      if tried > 5000 { return }
      var i = k - 1
      while i >= 0 && picks[i] == n - k + i { i -= 1 }
      if i < 0 { return }
      picks[i] += 1
      for j in (i + 1)..<k { picks[j] = picks[j - 1] + 1 }
    }
  }
}
