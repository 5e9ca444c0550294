import Analysis
import KubeModel
import Manifests
import Reachability
import Testing

/// The connectivity list layer: ranges, focus, workload grouping, ingress controller, diff.
@Suite struct ConnectivityTests {
  static func cluster(_ yaml: String) throws -> Cluster {
    let loaded = ManifestLoader.load(yaml: yaml, file: "test.yaml")
    #expect(!loaded.hasErrors, "\(loaded.diagnostics)")
    return loaded.cluster
  }

  static func lines(_ yaml: String, _ configure: (inout ConnectivityOptions) -> Void = { _ in }) throws -> [String] {
    var options = ConnectivityOptions()
    configure(&options)
    let report = try ConnectivityAnalyzer(cluster: try cluster(yaml), options: options).report()
    return report.rows.map { "\($0.source.name) => \($0.destination.name) : \($0.connectionsText)" }
  }

  static let twoPods = """
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: ns, labels: {app: a}}
    spec: {containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: b, namespace: ns, labels: {app: b}}
    spec: {containers: [{name: c, image: i}]}
    """

  @Test func externalRangesFollowTheBlockShapeNotItsExceptPieces() {
    let block = IPBlock(
      cidr: CIDR("0.0.0.0/0")!, except: [CIDR("10.0.0.0/9")!, CIDR("10.128.0.0/9")!])
    let rule = NetworkPolicyRule(peers: [.ipBlock(block)], location: .synthetic("t"))
    var cluster = Cluster()
    cluster.networkPolicies = [
      NetworkPolicy(namespace: "ns", name: "p", ingress: [rule], location: .synthetic("t"))
    ]
    let ranges = ExternalRanges(cluster: cluster).ingressSources.map(\.description)
    #expect(ranges == ["0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"])
    #expect(ExternalRanges(cluster: cluster).egressDestinations.map(\.description) == ["0.0.0.0-255.255.255.255"])
  }

  @Test func anIPv6BlockInOneDirectionListsIPv6BothWays() {
    let rule = NetworkPolicyRule(peers: [.ipBlock(IPBlock(cidr: CIDR("fd00::/8")!))], location: .synthetic("t"))
    var cluster = Cluster()
    cluster.networkPolicies = [NetworkPolicy(namespace: "ns", name: "p", ingress: [rule], location: .synthetic("t"))]
    let ranges = ExternalRanges(cluster: cluster, includeIPv6: true)
    #expect(ranges.egressDestinations.map(\.description).contains("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    #expect(ranges.ingressSources.count == 4)
    #expect(!ExternalRanges(cluster: cluster).ingressSources.contains { $0.family == .v6 })
  }

  @Test func noPoliciesAllowEverythingAndSkipSelfLines() throws {
    let lines = try Self.lines(Self.twoPods)
    #expect(
      lines == [
        "0.0.0.0-255.255.255.255[External] => ns/a[Pod] : All Connections",
        "0.0.0.0-255.255.255.255[External] => ns/b[Pod] : All Connections",
        "ns/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "ns/a[Pod] => ns/b[Pod] : All Connections",
        "ns/b[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "ns/b[Pod] => ns/a[Pod] : All Connections",
      ])
  }

  @Test func focusWorkloadWithDirectionAndPeer() throws {
    let egress = try Self.lines(Self.twoPods) {
      $0.focusWorkloads = ["a"]
      $0.focusDirection = .egress
    }
    #expect(
      egress == [
        "ns/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections", "ns/a[Pod] => ns/b[Pod] : All Connections",
      ])
    let withPeer = try Self.lines(Self.twoPods) {
      $0.focusWorkloads = ["ns/a"]
      $0.focusWorkloadPeers = ["b"]
    }
    #expect(withPeer == ["ns/a[Pod] => ns/b[Pod] : All Connections", "ns/b[Pod] => ns/a[Pod] : All Connections"])
  }

  @Test func focusConnectionKeepsPairsAllowingThatPort() throws {
    let policy = """
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: only-web, namespace: ns}
      spec:
        podSelector: {matchLabels: {app: a}}
        ingress: [{ports: [{port: web}]}]
      """
    let lines = try Self.lines(Self.twoPods + "\n" + policy) {
      $0.focusConnection = FocusConnection(parsing: "tcp-8080")
    }
    #expect(lines.contains("ns/b[Pod] => ns/a[Pod] : TCP 8080"))
    let none = try Self.lines(Self.twoPods + "\n" + policy) {
      $0.focusConnection = FocusConnection(parsing: "tcp-9090")
    }
    #expect(!none.contains { $0.hasSuffix("ns/a[Pod] : TCP 8080") })
  }

  @Test func hostNetworkWorkloadsAreReported() throws {
    let yaml = """
      apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: agent, namespace: kube-system}
      spec:
        selector: {matchLabels: {app: agent}}
        template:
          metadata: {labels: {app: agent}}
          spec: {hostNetwork: true, containers: [{name: c, image: i}]}
      """
    let report = try ConnectivityAnalyzer(cluster: try Self.cluster(yaml), options: .init()).report()
    #expect(
      report.warnings.contains { $0.code == .hostNetwork && $0.message.contains("kube-system/agent[DaemonSet]") })
  }

  @Test func workloadWhosePodsAPolicyTellsApartIsRefused() throws {
    let yaml = """
      apiVersion: v1
      kind: Pod
      metadata:
        name: p1
        namespace: ns
        labels: {app: x, role: a}
        ownerReferences: [{kind: ReplicaSet, name: rs, controller: true}]
      spec: {containers: [{name: c, image: i}]}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: p2
        namespace: ns
        labels: {app: x, role: b}
        ownerReferences: [{kind: ReplicaSet, name: rs, controller: true}]
      spec: {containers: [{name: c, image: i}]}
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: p, namespace: ns}
      spec: {podSelector: {matchLabels: {role: a}}}
      """
    #expect(throws: Diagnostic.self) { try ConnectivityAnalyzer(cluster: try Self.cluster(yaml), options: .init()) }
    var pods = ConnectivityOptions()
    pods.granularity = .pod
    let report = try ConnectivityAnalyzer(cluster: try Self.cluster(yaml), options: pods).report()
    #expect(report.rows.contains { $0.source.name == "ns/p1[Pod]" && $0.destination.name == "ns/p2[Pod]" })
    #expect(report.rows.contains { $0.source.name == "ns/p2[Pod]" && $0.destination.name == "ns/p1[Pod]" } == false)
  }

  @Test func diffComparesOnTheCommonRefinementOfRanges() throws {
    let before = try ConnectivityAnalyzer(cluster: try Self.cluster(Self.twoPods), options: .init()).report()
    let policy = """
      ---
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: from-low-half, namespace: ns}
      spec:
        podSelector: {matchLabels: {app: b}}
        ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/1}}]}]
      """
    let after = try ConnectivityAnalyzer(cluster: try Self.cluster(Self.twoPods + "\n" + policy), options: .init())
      .report()
    let diff = DiffReport(before: before, after: after)
    let lines = diff.rows.map { "\($0.kind) \($0.source.name) => \($0.destination.name)" }
    #expect(lines == ["removed 128.0.0.0-255.255.255.255[External] => ns/b[Pod]", "removed ns/a[Pod] => ns/b[Pod]"])
  }

  @Test func diffRowsSayWhichEndsExistInOneVersionOnly() throws {
    let pod = { (name: String) in
      """
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: \(name), namespace: ns, labels: {app: \(name)}}
      spec: {containers: [{name: c, image: i}]}

      """
    }
    let before = try ConnectivityAnalyzer(cluster: try Self.cluster(pod("a") + pod("gone")), options: .init()).report()
    let after = try ConnectivityAnalyzer(cluster: try Self.cluster(pod("a") + pod("n1") + pod("n2")), options: .init())
      .report()
    let rows = DiffReport(before: before, after: after).rows
    func presence(_ src: String, _ dst: String) -> DiffPeerPresence? {
      rows.first { $0.source.name == src && $0.destination.name == dst }?.workloadInfo
    }
    let n1 = try #require(after.peers.first { $0.name == "ns/n1[Pod]" })
    let n2 = try #require(after.peers.first { $0.name == "ns/n2[Pod]" })
    let gone = try #require(before.peers.first { $0.name == "ns/gone[Pod]" })
    #expect(presence("ns/n1[Pod]", "ns/n2[Pod]") == .added([n1, n2]))
    #expect(presence("ns/a[Pod]", "ns/n1[Pod]") == .added([n1]))
    #expect(presence("ns/gone[Pod]", "ns/a[Pod]") == .removed([gone]))
    #expect(rows.allSatisfy { $0.workloadInfo != .inBoth })
  }
}
