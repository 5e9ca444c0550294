import Analysis
import Formats
import Foundation
import KubeModel
import Manifests
import Reachability
import TestSupport
import Testing

/// Explanations over small clusters built in code: two namespaces, one pod each.
@Suite struct ExplainTests {
  static func at(_ line: Int) -> KubeModel.SourceLocation {
    KubeModel.SourceLocation(file: "test.yaml", line: line, column: 3)
  }

  /// Namespaces `a` and `b` (label team=x / team=y), pods `a/client` (app=client) and
  /// `b/server` (app=server, TCP 8080 named http).
  static func base() -> Cluster {
    var cluster = Cluster()
    cluster.namespaces = [
      Namespace(name: "a", labels: ["team": "x"], location: at(1)),
      Namespace(name: "b", labels: ["team": "y"], location: at(2)),
    ]
    cluster.workloads = [
      Workload(
        namespace: "a", name: "client", kind: .pod, podLabels: ["app": "client"], location: at(3)),
      Workload(
        namespace: "b", name: "server", kind: .pod, podLabels: ["app": "server"], location: at(4)),
    ]
    cluster.pods = [
      Pod(namespace: "a", name: "client", labels: ["app": "client"], workload: 0, location: at(3)),
      Pod(
        namespace: "b", name: "server", labels: ["app": "server"],
        ports: [ContainerPort(name: "http", port: 8080)], workload: 1, location: at(4)),
    ]
    return cluster
  }

  static func flow(_ cluster: Cluster, port: Int? = 8080, transport: TransportProtocol? = .tcp)
    throws
    -> FlowExplanation
  {
    let flows = try FlowExplainer(cluster: cluster).explain(
      source: "a/client", destination: "b/server", port: port, transport: transport)
    return try #require(flows.first)
  }

  @Test func noPolicyMeansSystemDefault() throws {
    let flow = try Self.flow(Self.base())
    #expect(flow.allowed)
    let group = try #require(flow.groups.first)
    #expect(group.isSystemDefaultOnly)
    #expect(group.egress.reasons == [.systemDefault])
  }

  @Test func isolatingPolicyWithoutRulesDenies() throws {
    var cluster = Self.base()
    cluster.networkPolicies = [
      NetworkPolicy(
        namespace: "b", name: "deny-all", podSelector: .everything, location: Self.at(10))
    ]
    let flow = try Self.flow(cluster)
    #expect(!flow.allowed)
    let reason = try #require(flow.groups.first?.ingress.reasons.first)
    #expect(reason.effect == .noMatch)
    #expect(reason.policy == "b/deny-all")
    #expect(
      ExplainSentences.text(reason, subject: "b/server[Pod]", peer: "a/client[Pod]")
        == "NetworkPolicy 'b/deny-all' selects b/server[Pod], but a/client[Pod] is not allowed by any Ingress rule (no rules defined)"
    )
    #expect(flow.groups.first?.egress.isSystemDefaultOnly == true)
  }

  @Test func allowingRuleIsNamedWithItsLocation() throws {
    var cluster = Self.base()
    let rule = NetworkPolicyRule(
      peers: [
        .selector(pods: LabelSelector(matchLabels: ["app": "client"]), namespaces: .everything)
      ],
      ports: [NetworkPolicyPort(port: .name("http"))], location: Self.at(21))
    cluster.networkPolicies = [
      NetworkPolicy(
        namespace: "b", name: "server", podSelector: LabelSelector(matchLabels: ["app": "server"]),
        ingress: [rule], location: Self.at(20))
    ]
    let allowed = try Self.flow(cluster)
    #expect(allowed.allowed)
    let reason = try #require(allowed.groups.first?.ingress.reasons.first)
    #expect(reason.rule == "#1")
    #expect(reason.location == Self.at(21))
    #expect(
      ExplainSentences.text(reason, subject: "b/server[Pod]", peer: "a/client[Pod]")
        == "NetworkPolicy 'b/server' allows connections by Ingress rule #1")

    let other = try Self.flow(cluster, port: 9090)
    #expect(!other.allowed)
    let why = try #require(other.groups.first?.ingress.reasons.first)
    #expect(
      ExplainSentences.text(why, subject: "b/server[Pod]", peer: "a/client[Pod]").hasSuffix(
        "and Ingress rule #1 selects a/client[Pod], but the protocols and ports do not match"))

    let partition = try Self.flow(cluster, port: nil, transport: nil)
    #expect(partition.allowedConnections == ConnectionSet([.tcp: [PortRange(8080, 8080)]]))
    #expect(
      partition.groups.map(\.connectionsText) == [
        "TCP:[8080]", "TCP:[1-8079,8081-65535], UDP, SCTP",
      ])
  }

  static func adminRule(_ name: String, _ action: AdminPolicyAction, team: String, line: Int)
    -> AdminPolicyRule
  {
    AdminPolicyRule(
      name: name, action: action,
      peers: [.pods(.namespaces(LabelSelector(matchLabels: ["team": team])))],
      location: at(line))
  }

  @Test func adminDenyWinsOverNetworkPolicy() throws {
    var cluster = Self.base()
    cluster.networkPolicies = [
      NetworkPolicy(
        namespace: "b", name: "allow-all", ingress: [NetworkPolicyRule(location: Self.at(11))],
        location: Self.at(10))
    ]
    cluster.adminNetworkPolicies = [
      AdminNetworkPolicy(
        name: "deny-x", priority: 5,
        subject: .namespaces(LabelSelector(matchLabels: ["team": "y"])),
        ingress: [Self.adminRule("deny-from-x", .deny, team: "x", line: 31)], location: Self.at(30))
    ]
    let flow = try Self.flow(cluster)
    #expect(!flow.allowed)
    let reasons = try #require(flow.groups.first?.ingress.reasons)
    #expect(
      ExplainSentences.sorted(reasons, subject: "b/server[Pod]", peer: "a/client[Pod]").map(\.text) == [
        "AdminNetworkPolicy 'deny-x' denies connections by Ingress rule deny-from-x"
      ])
    #expect(reasons.first?.location == Self.at(31))
  }

  @Test func adminPassHandsOverToNetworkPolicyAndBaseline() throws {
    var cluster = Self.base()
    cluster.adminNetworkPolicies = [
      AdminNetworkPolicy(
        name: "pass-x", priority: 5, subject: .namespaces(.everything),
        ingress: [Self.adminRule("pass-from-x", .pass, team: "x", line: 41)], location: Self.at(40))
    ]
    cluster.baselineAdminNetworkPolicies = [
      AdminNetworkPolicy(
        name: "default", isBaseline: true, subject: .namespaces(.everything),
        ingress: [Self.adminRule("deny-from-x", .deny, team: "x", line: 51)], location: Self.at(50))
    ]
    let flow = try Self.flow(cluster)
    #expect(!flow.allowed)
    let texts = try #require(
      flow.groups.first.map {
        ExplainSentences.sorted($0.ingress.reasons, subject: "b/server[Pod]", peer: "a/client[Pod]").map(\.text)
      })
    #expect(
      texts == [
        "AdminNetworkPolicy 'pass-x' passes connections by Ingress rule pass-from-x",
        "BaselineAdminNetworkPolicy 'default' denies connections by Ingress rule deny-from-x",
      ])
  }

  @Test func baselineAllowIsExplained() throws {
    var cluster = Self.base()
    cluster.baselineAdminNetworkPolicies = [
      AdminNetworkPolicy(
        name: "default", isBaseline: true, subject: .namespaces(.everything),
        egress: [Self.adminRule("allow-to-y", .allow, team: "y", line: 61)], location: Self.at(60))
    ]
    let flow = try Self.flow(cluster)
    #expect(flow.allowed)
    let reason = try #require(flow.groups.first?.egress.reasons.first)
    #expect(reason.tier == "BaselineAdminNetworkPolicy")
    #expect(reason.effect == .allow)
    #expect(reason.rule == "allow-to-y")
  }

  @Test func unknownPeerThrows() {
    #expect(throws: Diagnostic.self) {
      _ = try FlowExplainer(cluster: Self.base()).explain(
        source: "a/nobody", destination: "b/server", port: 80, transport: nil)
    }
  }

  @Test func explainReportGroupsPairs() throws {
    var cluster = Self.base()
    cluster.networkPolicies = [
      NetworkPolicy(
        namespace: "b", name: "deny-all", podSelector: .everything, location: Self.at(10))
    ]
    let analyzer = try ConnectivityAnalyzer(cluster: cluster, options: ConnectivityOptions())
    let report = analyzer.explainReport()
    #expect(
      report.specificPairs.map { "\($0.source.name) => \($0.destination.name)" }.contains(
        "a/client[Pod] => b/server[Pod]"))
    #expect(
      report.systemDefaultPairs.contains {
        $0.source.name == "b/server[Pod]" && $0.destination.name == "a/client[Pod]"
      })
    let denied = analyzer.explainReport(only: .deny)
    #expect(denied.pairs.allSatisfy { $0.groups.allSatisfy { !$0.allowed } })
  }
}

/// The explanation's allowed parts agree with the connectivity list on netpol-analyzer's corpus.
@Suite struct ExplainAgreementTests {
  static let directories = [
    "acs-security-demos", "anp_banp_blog_demo", "anp_demo", "anp_test_10", "ipblockstest",
    "netpol-demo",
    "onlineboutique_workloads_with_ingress", "demo_app_with_routes_and_ingress",
    "netpol_named_port_test",
    "anp_banp_test_with_named_port_matched", "anp_and_banp_using_networks_and_nodes_test",
  ]

  @Test(.enabled(if: TestCorpus.netpolAnalyzerIsPresent), arguments: directories)
  func allowedPartsMatchConnectivity(_ directory: String) throws {
    let path = TestCorpus.netpolAnalyzerTest(directory)
    let loaded = ManifestLoader.load(paths: [path])
    let analyzer = try ConnectivityAnalyzer(cluster: loaded.cluster, options: ConnectivityOptions())
    var listed: [String: ConnectionSet] = [:]
    for row in analyzer.report().rows {
      listed[row.source.name + " => " + row.destination.name] = row.connections
    }
    let explained = analyzer.explainReport()
    #expect(!explained.pairs.isEmpty)
    for pair in explained.pairs {
      let key = pair.source.name + " => " + pair.destination.name
      let allowed = pair.allowed.reduce(ConnectionSet.none) { $0.union($1.connections) }
      #expect(allowed == (listed[key] ?? .none), "\(directory): \(key)")
    }
  }
}
