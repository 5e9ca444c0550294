import KubeModel
import Manifests
import Reachability

/// A generated Istio object (`--emit-istio`).
public struct GeneratedMeshObject: Hashable, Sendable {
  /// `AuthorizationPolicy` or `PeerAuthentication`.
  public var kind: String
  public var namespace: String
  public var name: String
  public var document: YAMLValue
}

extension PolicyGenerator {
  /// Istio objects for the flows (`--emit-istio`): per destination workload in the mesh whose
  /// sources are all workloads in the mesh, an ALLOW AuthorizationPolicy naming the sources'
  /// service-account principals and the TCP ports of the flows; per namespace whose pods and
  /// whose clients are all in the mesh, a STRICT PeerAuthentication. What cannot be expressed
  /// with mesh identities (a source outside the mesh, an external source) is left to the
  /// NetworkPolicies, with a warning.
  static func istio(
    cluster: Cluster, flows: [ResolvedFlow], finder: inout StableSelectorFinder, diagnostics: inout [Diagnostic],
    options: EngineOptions
  ) -> [GeneratedMeshObject] {
    guard MeshMembership.isPresent(in: cluster) else {
      diagnostics.append(
        .warning(
          .istioNotEmitted,
          "--emit-istio: the manifests hold no mesh (no injection or ambient label, injected pod or Istio object); no Istio object written",
          at: nil))
      return []
    }
    let engine = ReachabilityEngine(cluster: cluster, options: options)
    func inMesh(_ w: Int) -> Bool {
      let pods = finder.podsOfWorkload[w]
      return !pods.isEmpty && pods.allSatisfy { engine.meshDataplane(ofPod: $0) != .none }
    }
    // Sources and TCP ports per destination workload.
    var sources: [Int: [FlowPeer: Set<Int>]] = [:]
    var admitted: [Int: Int] = [:]
    var clients: [String: Set<FlowPeer>] = [:]
    for f in flows {
      guard let d = f.destination.workload(in: cluster) else { continue }
      let s: FlowPeer = f.source.workload(in: cluster).map { .workload($0) } ?? f.source
      if s == .workload(d) { continue }
      guard f.transport == .tcp else { continue }  // Istio captures TCP only: mTLS and policies too
      clients[cluster.workloads[d].namespace, default: []].insert(s)
      sources[d, default: [:]][s, default: []].insert(f.port)
      admitted[d, default: 0] += 1
    }
    var out: [GeneratedMeshObject] = []
    var skipped: [(Int, String)] = []
    for d in sources.keys.sorted(by: { workloadOrder(cluster, $0, $1) }) {
      let wl = cluster.workloads[d]
      guard inMesh(d) else { continue }
      var rules: [AuthorizationRule] = []
      var blocker: String? = nil
      for s in sources[d]!.keys.sorted(by: { peerOrder(cluster, $0, $1) }) {
        guard case .workload(let w) = s, inMesh(w) else {
          blocker = "\(s.name(in: cluster)) is not in the mesh, so it has no identity to allow"
          break
        }
        let principals = Set(
          finder.podsOfWorkload[w].map {
            MeshMembership.principal(
              namespace: cluster.pods[$0].namespace, serviceAccount: cluster.pods[$0].serviceAccount)
          }
        ).sorted()
        let ports = sources[d]![s]!.sorted().map(String.init)
        rules.append(
          AuthorizationRule(
            from: [AuthorizationSource(principals: principals)], to: [AuthorizationOperation(ports: ports)]))
      }
      if let blocker {
        skipped.append((d, blocker))
        continue
      }
      let policy = AuthorizationPolicy(
        namespace: wl.namespace, name: "allow-to-\(wl.name)", selector: finder.selector(for: d).labels,
        action: .allow, rules: rules, location: .synthetic("generated"))
      out.append(
        GeneratedMeshObject(
          kind: "AuthorizationPolicy", namespace: wl.namespace, name: policy.name,
          document: ManifestWriter.document(
            for: policy,
            annotations: [
              purposeKey: "allow the observed mesh traffic to \(wl.displayName) by the clients' service accounts",
              flowsKey: String(admitted[d] ?? 0),
            ])))
    }
    for (d, why) in skipped {
      diagnostics.append(
        .warning(
          .istioNotEmitted,
          "--emit-istio: no AuthorizationPolicy for \(cluster.workloads[d].displayName): \(why); its NetworkPolicy still applies",
          at: cluster.workloads[d].location))
    }
    // STRICT mTLS where every pod and every client of the namespace is in the mesh.
    let namespaces = Set(
      cluster.workloads.indices.filter { !finder.podsOfWorkload[$0].isEmpty }.map {
        cluster.workloads[$0].namespace
      })
    for ns in namespaces.sorted() {
      let local = cluster.workloads.indices.filter {
        cluster.workloads[$0].namespace == ns && !finder.podsOfWorkload[$0].isEmpty
      }
      guard local.allSatisfy(inMesh) else { continue }
      let outside = (clients[ns] ?? []).filter { peer in
        guard case .workload(let w) = peer else { return true }
        return !inMesh(w)
      }
      guard !(clients[ns] ?? []).isEmpty else { continue }
      if let first = outside.sorted(by: { peerOrder(cluster, $0, $1) }).first {
        diagnostics.append(
          .warning(
            .istioNotEmitted,
            "--emit-istio: no STRICT PeerAuthentication for namespace \(ns): its client \(first.name(in: cluster)) is not in the mesh",
            at: nil))
        continue
      }
      if cluster.peerAuthentications.contains(where: { $0.namespace == ns && $0.selector == nil }) {
        diagnostics.append(
          .warning(
            .istioNotEmitted,
            "--emit-istio: namespace \(ns) already has a namespace-wide PeerAuthentication; no STRICT one written",
            at: nil))
        continue
      }
      let pa = PeerAuthentication(
        namespace: ns, name: "default", selector: nil, mode: .strict, location: .synthetic("generated"))
      out.append(
        GeneratedMeshObject(
          kind: "PeerAuthentication", namespace: ns, name: "default",
          document: ManifestWriter.document(
            for: pa,
            annotations: [
              purposeKey:
                "require mutual TLS in namespace \(ns): its pods and all their observed clients are in the mesh",
              flowsKey: "0",
            ])))
    }
    return out.sorted { ($0.namespace, $0.kind, $0.name) < ($1.namespace, $1.kind, $1.name) }
  }

  static func workloadOrder(_ cluster: Cluster, _ a: Int, _ b: Int) -> Bool {
    let l = cluster.workloads[a]
    let r = cluster.workloads[b]
    return (l.namespace, l.name, l.kind) < (r.namespace, r.name, r.kind)
  }

  static func peerOrder(_ cluster: Cluster, _ a: FlowPeer, _ b: FlowPeer) -> Bool {
    if case .workload(let x) = a, case .workload(let y) = b { return workloadOrder(cluster, x, y) }
    return a < b
  }
}
