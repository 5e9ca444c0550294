import Analysis
import KubeModel
import Manifests
import Reachability
import Testing

/// Focus names resolve once to reported peers (workloads, pods, the ingress controller), and
/// the filters compare those identities.
@Suite struct FocusResolutionTests {
  /// `api` in two namespaces, a Deployment `web` with two pods, and an Ingress to `web`.
  static let input = """
    apiVersion: v1
    kind: Pod
    metadata: {name: api, namespace: shop, labels: {app: api}}
    spec: {containers: [{name: c, image: i}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: api, namespace: billing, labels: {app: api}}
    spec: {containers: [{name: c, image: i}]}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: web, namespace: shop}
    spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
    """

  static func analyzer(
    _ yaml: String = input, _ configure: (inout ConnectivityOptions) -> Void = { _ in }
  ) throws -> ConnectivityAnalyzer {
    let loaded = ManifestLoader.load(yaml: yaml, file: "test.yaml")
    #expect(!loaded.hasErrors, "\(loaded.diagnostics)")
    var options = ConnectivityOptions()
    configure(&options)
    return try ConnectivityAnalyzer(cluster: loaded.cluster, options: options)
  }

  static func names(_ analyzer: ConnectivityAnalyzer, _ names: [String]) -> [String] {
    let peers = analyzer.resolve(names: names).peers
    return analyzer.report().peers.filter { peers.contains($0.kind) }.map(\.name).sorted()
      + (peers.contains(.ingressController) ? [ReportPeer.ingressController.name] : [])
  }

  @Test func aShortNameResolvesInEveryNamespaceAndNsNameInOne() throws {
    let analyzer = try Self.analyzer()
    #expect(Self.names(analyzer, ["api"]) == ["billing/api[Pod]", "shop/api[Pod]"])
    #expect(Self.names(analyzer, ["shop/api"]) == ["shop/api[Pod]"])
    #expect(Self.names(analyzer, ["web"]) == ["shop/web[Deployment]"])
    #expect(
      analyzer.resolve(names: ["shop/api", "nosuch", "other/api", "api[Pod]", "shop/api[Pod]"]).unknown == [
        "nosuch", "other/api", "api[Pod]", "shop/api[Pod]",
      ])
  }

  @Test func theIngressControllerResolvesOnlyWhenTheInputHasIngressOrRoute() throws {
    let analyzer = try Self.analyzer()
    #expect(analyzer.resolve(names: ["ingress-controller"]).peers == [.ingressController])
    #expect(analyzer.resolve(names: ["{ingress-controller}"]).peers == [.ingressController])
    let withoutIngress = try Self.analyzer(
      Self.input.components(separatedBy: "---\napiVersion: networking.k8s.io/v1")[0])
    #expect(withoutIngress.resolve(names: ["ingress-controller"]).unknown == ["ingress-controller"])
  }

  @Test func podGranularityResolvesPodsNotWorkloads() throws {
    let analyzer = try Self.analyzer { $0.granularity = .pod }
    let resolved = analyzer.resolve(names: ["web", "shop/api"])
    #expect(resolved.unknown == ["web"])
    #expect(resolved.peers.count == 1)
    let pods = analyzer.cluster.pods.filter { $0.namespace == "shop" && $0.name != "api" }.map(\.name)
    #expect(pods.count == 2)
    #expect(Self.names(analyzer, pods) == pods.map { "shop/\($0)[Pod]" }.sorted())
  }

  @Test func theFilterComparesIdentities() throws {
    // Egress of shop/api to the ingress controller's destination only: one row, by identity.
    let lines = try Self.analyzer {
      $0.focusWorkloads = ["ingress-controller"]
    }.report().rows.map { "\($0.source.name) => \($0.destination.name) : \($0.connectionsText)" }
    #expect(lines == ["{ingress-controller} => shop/web[Deployment] : TCP 8080"])
    let api = try Self.analyzer {
      $0.focusWorkloads = ["shop/api"]
      $0.focusWorkloadPeers = ["api"]
      $0.focusDirection = .egress
    }.report().rows.map { "\($0.source.name) => \($0.destination.name)" }
    #expect(api == ["shop/api[Pod] => billing/api[Pod]"])
  }

  @Test func peerNamesParseOnce() {
    #expect(PeerName("shop/api").namespace == "shop")
    #expect(PeerName("shop/api").name == "api")
    #expect(PeerName("api").namespace == nil)
    #expect(PeerName("a/b/c").names(namespace: "a", name: "b/c"))
    #expect(!PeerName("/api").names(namespace: "shop", name: "api"))
    #expect(PeerName("api").names(namespace: "anything", name: "api"))
    #expect(!PeerName("shop/api").names(namespace: "billing", name: "api"))
  }
}
