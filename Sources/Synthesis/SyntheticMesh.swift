import KubeModel

/// Istio on top of a synthetic cluster (`kubereach synth --mesh`): injection and ambient labels
/// on namespaces, a service account per workload, and PeerAuthentications, DestinationRules and
/// AuthorizationPolicies in the proportions a real mesh migration shows.
public enum SyntheticMesh {
  /// Adds mesh labels, service accounts and Istio objects, the same for the same seed.
  /// About 70% of namespaces get sidecars, 10% join the ambient mesh, the rest stay outside.
  public static func add(to cluster: inout Cluster, seed: UInt64) {
    var rng = SplitMix64(seed: seed ^ 0x6d65_7368)
    let root = "istio-system"
    let rootLoc = SourceLocation.synthetic("istio-system/mesh.yaml")
    if !cluster.namespaces.contains(where: { $0.name == root }) {
      cluster.namespaces.append(Namespace(name: root, location: rootLoc))
    }
    var meshNamespaces: [String] = []
    for i in cluster.namespaces.indices where cluster.namespaces[i].name != root {
      let draw = rng.below(10)
      if draw < 7 {
        cluster.namespaces[i].labels[IstioLabel.injection] = "enabled"
        meshNamespaces.append(cluster.namespaces[i].name)
      } else if draw == 7 {
        cluster.namespaces[i].labels[IstioLabel.dataplaneMode] = "ambient"
        meshNamespaces.append(cluster.namespaces[i].name)
      }
    }
    for i in cluster.pods.indices {
      cluster.pods[i].serviceAccount = cluster.pods[i].labels["app"] ?? "default"
    }
    cluster.peerAuthentications.append(
      PeerAuthentication(
        namespace: root, name: "default", selector: nil, mode: .permissive, location: rootLoc))
    cluster.destinationRules.append(
      DestinationRule(
        namespace: root, name: "default", host: "*.local", tlsMode: .istioMutual, location: rootLoc))
    var workloadsByNamespace: [String: [Workload]] = [:]
    for w in cluster.workloads { workloadsByNamespace[w.namespace, default: []].append(w) }
    for ns in meshNamespaces {
      let loc = SourceLocation.synthetic("\(ns)/mesh.yaml")
      let workloads = workloadsByNamespace[ns] ?? []
      if rng.chance(0.4) {
        cluster.peerAuthentications.append(
          PeerAuthentication(namespace: ns, name: "default", selector: nil, mode: .strict, location: loc))
      }
      for w in workloads where rng.chance(0.1) {
        cluster.peerAuthentications.append(
          PeerAuthentication(
            namespace: ns, name: "\(w.name)-metrics", selector: ["app": w.podLabels["app"] ?? w.name],
            mode: .unset, portModes: [9090: .disable], location: loc))
      }
      if rng.chance(0.2), let w = workloads.first {
        cluster.destinationRules.append(
          DestinationRule(
            namespace: ns, name: "\(w.name)-plaintext", host: "\(w.name).\(ns).svc.cluster.local",
            tlsMode: .disable, location: loc))
      }
      if rng.chance(0.5), !workloads.isEmpty {
        // Allow the namespace's own frontends and one named client, by principal.
        let target = workloads[rng.below(workloads.count)]
        let client = workloads[rng.below(workloads.count)]
        cluster.authorizationPolicies.append(
          AuthorizationPolicy(
            namespace: ns, name: "\(target.name)-allow", selector: ["app": target.podLabels["app"] ?? ""],
            action: .allow,
            rules: [
              AuthorizationRule(
                from: [AuthorizationSource(principals: ["cluster.local/ns/\(ns)/sa/\(client.name)"])]),
              AuthorizationRule(
                from: [AuthorizationSource(namespaces: [ns])], to: [AuthorizationOperation(ports: ["80", "8080"])]),
            ], location: loc))
      }
      if rng.chance(0.3) {
        cluster.authorizationPolicies.append(
          AuthorizationPolicy(
            namespace: ns, name: "deny-metrics", selector: nil, action: .deny,
            rules: [
              AuthorizationRule(
                from: [AuthorizationSource(notNamespaces: [ns, root])],
                to: [AuthorizationOperation(ports: ["9090"])])
            ], location: loc))
      }
      if rng.chance(0.2), let w = workloads.last {
        cluster.authorizationPolicies.append(
          AuthorizationPolicy(
            namespace: ns, name: "\(w.name)-read-only", selector: ["app": w.podLabels["app"] ?? ""],
            action: .allow,
            rules: [AuthorizationRule(to: [AuthorizationOperation(methods: ["GET", "HEAD"])])],
            location: loc))
      }
    }
  }
}
