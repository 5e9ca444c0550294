import Analysis
import Formats
import KubeModel
import Manifests
import Reachability
import TestSupport
import Testing

/// The wrong answers of issue 8, each with its own regression test.
@Suite struct ExplainRegressionTests {
  static func cluster(_ yaml: String) throws -> Cluster {
    let loaded = ManifestLoader.load(yaml: yaml, file: "test.yaml")
    #expect(!loaded.hasErrors, "\(loaded.diagnostics)")
    return loaded.cluster
  }

  static let podIPs = """
    apiVersion: v1
    kind: Pod
    metadata: {name: client, namespace: default, labels: {app: client}}
    spec: {containers: [{name: c, image: i}]}
    status: {podIP: 10.0.0.5}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: server, namespace: default, labels: {app: server}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
    status: {podIP: 10.0.1.7}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: from-block, namespace: default}
    spec:
      podSelector: {matchLabels: {app: server}}
      ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/24}}]}]
    """

  @Test func explainIgnoresIpblockMatchesPodIps() throws {
    let cluster = try Self.cluster(Self.podIPs)
    var options = EngineOptions()
    options.ipBlockMatchesPodIPs = true
    let flows = try FlowExplainer(cluster: cluster, options: options).explain(
      source: "default/client", destination: "default/server", port: 80, transport: nil)
    #expect(FlowExplanation.allAllowed(flows))
    let without = try FlowExplainer(cluster: cluster).explain(
      source: "default/client", destination: "default/server", port: 80, transport: nil)
    #expect(!FlowExplanation.allAllowed(without))

    // analyze --explain with the flag agrees with analyze.
    var connectivity = ConnectivityOptions()
    connectivity.engine = options
    connectivity.granularity = .pod
    let analyzer = try ConnectivityAnalyzer(cluster: cluster, options: connectivity)
    let pair = try #require(
      analyzer.explainReport().pairs.first {
        $0.source.name == "default/client[Pod]" && $0.destination.name == "default/server[Pod]"
      })
    #expect(pair.allowed.map(\.connections) == [.all])
    #expect(pair.denied.isEmpty)
  }

  static let quarantine = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: frontend-5d9c7b7b4f-a
      namespace: shop
      labels: {app: frontend}
      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: frontend-5d9c7b7b4f, controller: true}]
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata:
      name: frontend-5d9c7b7b4f-b
      namespace: shop
      labels: {app: frontend, quarantine: "true"}
      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: frontend-5d9c7b7b4f, controller: true}]
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: client, namespace: shop, labels: {app: client}}
    spec: {containers: [{name: c, image: i}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: frontend, namespace: shop}
    spec: {selector: {app: frontend}, ports: [{port: 80, targetPort: 8080}]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: quarantine, namespace: shop}
    spec:
      podSelector: {matchLabels: {quarantine: "true"}}
      policyTypes: [Ingress]
    """

  @Test func explainAnswersForOnePodWhenAWorkloadsPodsDiffer() throws {
    let cluster = try Self.cluster(Self.quarantine)
    let explainer = FlowExplainer(cluster: cluster)
    let workload = try #require(
      cluster.workloads.first { $0.name == "frontend-5d9c7b7b4f" && $0.namespace == "shop" })
    let flows = try explainer.explain(
      source: "shop/client", destination: "shop/\(workload.name)", port: 8080, transport: nil)
    #expect(flows.count == 2, "one answer per pod")
    #expect(flows.filter(\.allowed).count == 1)
    #expect(!FlowExplanation.allAllowed(flows))
    #expect(Set(flows.map(\.destination.name)).count == 2)
    #expect(FlowExplanationRenderer().text(flows).hasPrefix("Verdict: denied\n"))

    // Through the Service: per backend pod.
    let service = try explainer.explain(
      source: "shop/client", destination: "svc:shop/frontend", port: 80, transport: nil)
    #expect(service.count == 2)
    #expect(!FlowExplanation.allAllowed(service))
    #expect(service.allSatisfy { $0.targetPort == 8080 })
  }

  static let replicas = """
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: prometheus-k8s, namespace: monitoring}
    spec:
      replicas: 2
      selector: {matchLabels: {app: prometheus}}
      template: {metadata: {labels: {app: prometheus}}, spec: {containers: [{name: c, image: i}]}}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: prometheus-k8s, namespace: monitoring}
    spec:
      podSelector: {matchLabels: {app: prometheus}}
      policyTypes: [Ingress]
      ingress:
      - from: [{podSelector: {matchLabels: {app: prometheus}}}]
        ports: [{port: 9090}, {port: 8080}]
    """

  @Test func explainOfAMultiReplicaWorkloadWithItselfHidesThePolicyBetweenItsReplicas() throws {
    let cluster = try Self.cluster(Self.replicas)
    #expect(cluster.pods.count == 2)
    let explainer = FlowExplainer(cluster: cluster)
    let denied = try explainer.explain(
      source: "monitoring/prometheus-k8s", destination: "monitoring/prometheus-k8s", port: 9093,
      transport: nil)
    #expect(!FlowExplanation.allAllowed(denied))
    #expect(
      denied.allSatisfy { flow in
        flow.groups.allSatisfy { !$0.ingress.isSystemDefaultOnly }
      })
    let allowed = try explainer.explain(
      source: "monitoring/prometheus-k8s", destination: "monitoring/prometheus-k8s", port: 9090,
      transport: nil)
    #expect(FlowExplanation.allAllowed(allowed))
    // A pod with itself stays exempt.
    let pod = cluster.pods[0]
    let itself = try explainer.explain(
      source: "monitoring/\(pod.name)", destination: "monitoring/\(pod.name)", port: 9093,
      transport: nil)
    #expect(FlowExplanation.allAllowed(itself))
  }

  @Test func oneAdminPolicyOrder() {
    func anp(_ name: String, _ priority: Int) -> AdminNetworkPolicy {
      AdminNetworkPolicy(
        name: name, priority: priority, subject: .namespaces(.everything),
        location: .synthetic(name))
    }
    var cluster = Cluster()
    cluster.adminNetworkPolicies = [anp("b", 5), anp("a", 5), anp("c", 1), anp("a", 5)]
    #expect(cluster.adminNetworkPolicyOrder == [2, 1, 3, 0])
    #expect(cluster.adminNetworkPoliciesInPriorityOrder.map(\.name) == ["c", "a", "a", "b"])
  }
}
