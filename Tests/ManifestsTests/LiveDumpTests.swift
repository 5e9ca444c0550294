import Foundation
import KubeModel
import Testing

@testable import Manifests

/// `kubectl get pods,deploy,... -A -o yaml` dumps: pods owned by ReplicaSets the dump lacks.
@Suite("Live cluster dumps")
struct LiveDumpTests {
  static let deployment = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: frontend, namespace: shop}
    spec:
      replicas: 2
      selector: {matchLabels: {app: frontend}}
      template:
        metadata: {labels: {app: frontend}}
        spec: {containers: [{name: web, ports: [{containerPort: 8080, name: http}]}]}

    """

  static func pod(_ name: String, hash: String = "5d9c8", owner: String = "frontend-5d9c8", app: String = "frontend")
    -> String
  {
    """
    apiVersion: v1
    kind: Pod
    metadata:
      name: \(name)
      namespace: shop
      labels: {app: \(app), pod-template-hash: "\(hash)"}
      ownerReferences:
      - {apiVersion: apps/v1, kind: ReplicaSet, name: \(owner), controller: true, uid: x}
    spec: {containers: [{name: web, ports: [{containerPort: 8080, name: http}]}]}
    status: {podIP: 10.0.0.\(name.count)}

    """
  }

  static func list(_ items: [String]) -> String { items.joined(separator: "---\n") }

  @Test func podsOfAnAbsentReplicaSetGroupUnderTheirDeploymentWithoutPhantoms() {
    let result = ManifestLoader.load(
      yaml: Self.list([Self.deployment, Self.pod("frontend-5d9c8-abcde"), Self.pod("frontend-5d9c8-fghij")]))
    #expect(!result.hasErrors)
    #expect(result.cluster.workloads.map(\.displayName) == ["shop/frontend[Deployment]"])
    #expect(result.cluster.pods.map(\.name) == ["frontend-5d9c8-abcde", "frontend-5d9c8-fghij"])
  }

  @Test func orderOfDeploymentAndPodsDoesNotMatter() {
    let result = ManifestLoader.load(
      yaml: Self.list([Self.pod("frontend-5d9c8-abcde"), Self.deployment]))
    #expect(result.cluster.workloads.map(\.displayName) == ["shop/frontend[Deployment]"])
    #expect(result.cluster.pods.count == 1)
  }

  @Test func withoutAMatchingDeploymentThePodKeepsTheReplicaSetName() {
    // No Deployment at all.
    var result = ManifestLoader.load(yaml: Self.pod("frontend-5d9c8-abcde"))
    #expect(result.cluster.workloads.map(\.displayName) == ["shop/frontend-5d9c8[ReplicaSet]"])
    // A hash that does not tie the ReplicaSet name to the Deployment.
    result = ManifestLoader.load(yaml: Self.list([Self.deployment, Self.pod("x", hash: "other")]))
    #expect(
      result.cluster.workloads.map(\.displayName).sorted()
        == ["shop/frontend-5d9c8[ReplicaSet]", "shop/frontend[Deployment]"])
    // The Deployment's selector does not match the pod.
    result = ManifestLoader.load(yaml: Self.list([Self.deployment, Self.pod("y", app: "relabelled")]))
    #expect(result.cluster.workloads.count == 2)
    #expect(result.cluster.pods.filter { $0.name.hasPrefix("frontend-") }.count == 2)
  }

  @Test func aReplicaSetInTheInputStillLeadsToItsDeployment() {
    let replicaSet = """
      apiVersion: apps/v1
      kind: ReplicaSet
      metadata:
        name: frontend-5d9c8
        namespace: shop
        ownerReferences: [{kind: Deployment, name: frontend, controller: true}]
      spec:
        selector: {matchLabels: {app: frontend}}
        template: {metadata: {labels: {app: frontend}}}

      """
    let result = ManifestLoader.load(
      yaml: Self.list([Self.deployment, replicaSet, Self.pod("frontend-5d9c8-abcde")]))
    #expect(result.cluster.workloads.map(\.displayName) == ["shop/frontend[Deployment]"])
    #expect(result.cluster.pods.map(\.name) == ["frontend-5d9c8-abcde"])
  }
}
