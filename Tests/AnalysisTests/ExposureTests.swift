import Analysis
import KubeModel
import Reachability
import Testing

/// Exposure analysis over small clusters built in code: namespace `a` with pod `client`
/// (app=client), namespace `b` with pod `server` (app=server, TCP 8050).
@Suite struct ExposureTests {
  static func at(_ line: Int) -> KubeModel.SourceLocation {
    KubeModel.SourceLocation(file: "exposure.yaml", line: line, column: 1)
  }

  static func base() -> Cluster {
    var cluster = Cluster()
    cluster.namespaces = [
      Namespace(name: "a", labels: ["team": "x"], location: at(1)),
      Namespace(name: "b", labels: ["team": "y"], location: at(2)),
    ]
    cluster.workloads = [
      Workload(
        namespace: "a", name: "client", kind: .deployment, podLabels: ["app": "client"],
        location: at(3)),
      Workload(
        namespace: "b", name: "server", kind: .deployment, podLabels: ["app": "server"],
        location: at(4)),
    ]
    cluster.pods = [
      Pod(
        namespace: "a", name: "client-1", labels: ["app": "client"], workload: 0, location: at(3)),
      Pod(
        namespace: "b", name: "server-1", labels: ["app": "server"],
        ports: [ContainerPort(port: 8050)], workload: 1,
        location: at(4)),
    ]
    return cluster
  }

  /// An ingress-only policy on `b/server` with one rule.
  static func serverIngress(_ peers: [NetworkPolicyPeer], ports: [NetworkPolicyPort] = [])
    -> NetworkPolicy
  {
    NetworkPolicy(
      namespace: "b", name: "server-ingress",
      podSelector: LabelSelector(matchLabels: ["app": "server"]),
      ingress: [NetworkPolicyRule(peers: peers, ports: ports, location: at(20))], location: at(10))
  }

  static func exposure(_ cluster: Cluster) throws -> ExposureReport {
    var options = ConnectivityOptions()
    options.exposure = true
    let report = try ConnectivityAnalyzer(cluster: cluster, options: options).report()
    return try #require(report.exposure)
  }

  static func unprotected(_ exposure: ExposureReport) -> [String] {
    exposure.unprotected.map { "\($0.peer.name) is not protected on \($0.direction.rawValue)" }
  }

  static func lines(_ lines: [ExposureReport.Line], of peer: String? = nil) -> [String] {
    lines.filter { peer == nil || $0.exposed.name == peer }.map {
      "\($0.exposed.name) | \($0.other.name) | \($0.connections)"
    }
  }

  @Test func entireClusterExposureWithPorts() throws {
    var cluster = Self.base()
    cluster.networkPolicies = [
      Self.serverIngress(
        [.selector(pods: nil, namespaces: .everything)],
        ports: [NetworkPolicyPort(port: .number(8050))])
    ]
    let exposure = try Self.exposure(cluster)
    #expect(
      Self.lines(exposure.ingress).contains("b/server[Deployment] | entire-cluster | TCP 8050"))
    #expect(!Self.unprotected(exposure).contains("b/server[Deployment] is not protected on Ingress"))
    #expect(Self.unprotected(exposure).contains("b/server[Deployment] is not protected on Egress"))
  }

  @Test func namespaceOnlyExposureNamesTheNamespace() throws {
    var cluster = Self.base()
    let backend = LabelSelector(matchLabels: [namespaceNameLabel: "backend"])
    cluster.networkPolicies = [Self.serverIngress([.selector(pods: nil, namespaces: backend)])]
    let exposure = try Self.exposure(cluster)
    #expect(
      Self.lines(exposure.ingress, of: "b/server[Deployment]") == [
        "b/server[Deployment] | backend/[all pods] | All Connections"
      ])
  }

  @Test func podSelectorWithMatchExpressionsIsPrintedAsGoDoes() throws {
    var cluster = Self.base()
    let pods = LabelSelector(matchExpressions: [
      LabelRequirement(key: "app", operator: .in, values: ["y", "x"])
    ])
    let namespaces = LabelSelector(matchLabels: ["env": "prod"])
    cluster.networkPolicies = [
      Self.serverIngress(
        [.selector(pods: pods, namespaces: namespaces)],
        ports: [NetworkPolicyPort(port: .number(8050))])
    ]
    let exposure = try Self.exposure(cluster)
    #expect(
      Self.lines(exposure.ingress, of: "b/server[Deployment]") == [
        "b/server[Deployment] | [namespace with {env=prod}]/[pod with {{Key:app,Operator:In,Values:[y x],}}] | TCP 8050"
      ])
  }

  @Test func ruleMatchedByARealPodIsNotReported() throws {
    var cluster = Self.base()
    let pods = LabelSelector(matchLabels: ["app": "client"])
    let namespaces = LabelSelector(matchLabels: ["team": "x"])
    cluster.networkPolicies = [Self.serverIngress([.selector(pods: pods, namespaces: namespaces)])]
    let exposure = try Self.exposure(cluster)
    #expect(exposure.ingress.filter { $0.exposed.name == "b/server[Deployment]" }.isEmpty)
  }

  @Test func unprotectedWorkloadsAreListed() throws {
    let exposure = try Self.exposure(Self.base())
    #expect(
      Self.unprotected(exposure) == [
        "a/client[Deployment] is not protected on Egress",
        "a/client[Deployment] is not protected on Ingress",
        "b/server[Deployment] is not protected on Egress",
        "b/server[Deployment] is not protected on Ingress",
      ])
    #expect(
      Self.lines(exposure.egress).contains(
        "a/client[Deployment] | entire-cluster | All Connections"))
    #expect(
      Self.lines(exposure.egress).contains(
        "a/client[Deployment] | 0.0.0.0-255.255.255.255[External] | All Connections"))
  }

  @Test func adminPolicyDenyCarvesARepresentativeOutOfTheEntireCluster() throws {
    var cluster = Self.base()
    let slytherin = LabelSelector(matchLabels: ["house": "slytherin"])
    cluster.adminNetworkPolicies = [
      AdminNetworkPolicy(
        name: "deny-then-allow", priority: 10,
        subject: .pods(
          namespaces: .everything, pods: LabelSelector(matchLabels: ["app": "client"])),
        egress: [
          AdminPolicyRule(
            name: "deny-9090", action: .deny, peers: [.pods(.namespaces(slytherin))],
            ports: [.number(.tcp, 9090)],
            location: Self.at(31)),
          AdminPolicyRule(
            name: "allow-all", action: .allow, peers: [.pods(.namespaces(.everything))],
            location: Self.at(32)),
        ], location: Self.at(30))
    ]
    let exposure = try Self.exposure(cluster)
    let egress = Self.lines(exposure.egress).filter { $0.hasPrefix("a/client") }
    #expect(egress.contains("a/client[Deployment] | entire-cluster | All Connections"))
    #expect(
      egress.contains(
        "a/client[Deployment] | [namespace with {house=slytherin}]/[all pods] | SCTP 1-65535,TCP 1-9089,9091-65535,UDP 1-65535"
      ))
    #expect(!Self.unprotected(exposure).contains("a/client[Deployment] is not protected on Egress"))
  }

  @Test func baselineDenyFromEveryNamespaceRemovesEntireClusterIngress() throws {
    var cluster = Self.base()
    cluster.baselineAdminNetworkPolicies = [
      AdminNetworkPolicy(
        name: "default", isBaseline: true,
        subject: .namespaces(LabelSelector(matchLabels: ["team": "y"])),
        ingress: [
          AdminPolicyRule(
            name: "deny-all", action: .deny, peers: [.pods(.namespaces(.everything))],
            location: Self.at(41))
        ], location: Self.at(40))
    ]
    let exposure = try Self.exposure(cluster)
    #expect(
      !Self.lines(exposure.ingress).contains(
        "b/server[Deployment] | entire-cluster | All Connections"))
    #expect(!Self.unprotected(exposure).contains("b/server[Deployment] is not protected on Ingress"))
    #expect(Self.unprotected(exposure).contains("b/server[Deployment] is not protected on Egress"))
  }
}
