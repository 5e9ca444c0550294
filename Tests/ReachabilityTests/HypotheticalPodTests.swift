import KubeModel
import Reachability
import Synthesis
import TestSupport
import Testing

/// The cluster with a hypothetical pod written out as a real one, for the reference evaluator.
private func literal(_ cluster: Cluster, with pod: HypotheticalPod) -> Cluster {
  var out = cluster
  let loc = SourceLocation.synthetic("test")
  if out.namespace(named: pod.namespace) == nil {
    out.namespaces.append(Namespace(name: pod.namespace, labels: pod.namespaceLabels, declared: false, location: loc))
  }
  out.workloads.append(
    Workload(namespace: pod.namespace, name: pod.name, kind: .pod, podLabels: pod.labels, location: loc))
  out.pods.append(
    Pod(
      namespace: pod.namespace, name: pod.name, labels: pod.labels, ports: pod.ports, workload: out.workloads.count - 1,
      location: loc))
  return out
}

@Suite("Hypothetical pods: answered as real pods, never added to the cluster")
struct HypotheticalPodTests {
  @Test("the engine's cluster is the input; the hypothetical pod has its own peer")
  func clusterStaysAsRead() {
    let cluster = RandomCluster.generate(seed: 3)
    let engine = ReachabilityEngine(
      cluster: cluster, hypotheticalPods: [HypotheticalPod(namespace: "elsewhere", name: "stand-in")])
    #expect(engine.cluster.pods.map(\.name) == cluster.pods.map(\.name))
    #expect(engine.cluster.workloads.count == cluster.workloads.count)
    #expect(engine.cluster.namespaces.map(\.name) == cluster.namespaces.map(\.name))
    #expect(engine.hypotheticalPeer(0) == .pod(cluster.pods.count))
    #expect(engine.isHypothetical(cluster.pods.count))
    #expect(!engine.isHypothetical(cluster.pods.count - 1))
    #expect(!engine.isHostNetwork(cluster.pods.count))
  }

  @Test("a rule's named port resolves on the hypothetical pod's container ports")
  func namedPortsResolve() {
    var b = ClusterBuilder()
    let client = b.pod("client")
    b.np(
      "web", select: LabelSelector(matchLabels: ["app": "web"]),
      ingress: [NetworkPolicyRule(ports: [NetworkPolicyPort(port: .name("http"))], location: b.loc)])
    let web = HypotheticalPod(
      namespace: "default", labels: ["app": "web"], ports: [ContainerPort(name: "http", port: 8080)], name: "web")
    let engine = ReachabilityEngine(cluster: b.cluster, hypotheticalPods: [web])
    #expect(
      engine.connections(from: .pod(client), to: engine.hypotheticalPeer(0))
        == ConnectionSet([.tcp: [PortRange(8080, 8080)]]))
  }

  @Test("300 random clusters: every verdict to and from a hypothetical pod equals the reference's for a real one")
  func agreesWithReference() {
    var failing: [String] = []
    for seed in UInt64(0)..<300 {
      let cluster = RandomCluster.generate(seed: seed)
      var rng = SplitMix64(seed: seed ^ 0x5eed)
      // In an input namespace or a namespace of its own; without labels or with a pod's.
      let namespace = rng.chance(0.5) ? cluster.namespaces[rng.below(cluster.namespaces.count)].name : "hypo-ns"
      let namespaceLabels = rng.chance(0.5) ? cluster.namespaces[rng.below(cluster.namespaces.count)].labels : [:]
      let labels = rng.chance(0.5) ? cluster.pods[rng.below(cluster.pods.count)].labels : [:]
      // Named ports of rules resolve on the hypothetical pod as on a real one.
      let ports = rng.chance(0.5) ? cluster.pods[rng.below(cluster.pods.count)].ports : []
      let pod = HypotheticalPod(
        namespace: namespace, namespaceLabels: namespaceLabels.filter { $0.key != namespaceNameLabel },
        labels: labels, ports: ports, name: "stand-in")
      let options = EngineOptions(ipBlockMatchesPodIPs: seed % 2 == 1)
      let engine = ReachabilityEngine(cluster: cluster, options: options, hypotheticalPods: [pod])
      let reference = ReferenceEvaluator(cluster: literal(cluster, with: pod), options: options)
      let h = engine.hypotheticalPeer(0)
      let hRef = ReferenceEvaluator.Endpoint.pod(cluster.pods.count)
      func check(
        _ what: String, _ src: Peer, _ dst: Peer, _ s: ReferenceEvaluator.Endpoint, _ d: ReferenceEvaluator.Endpoint
      ) {
        let got = engine.connections(from: src, to: dst)
        let want = reference.connections(from: s, to: d)
        if got != want { failing.append("seed \(seed) \(what): engine \(got) reference \(want)") }
        let explained = engine.explain(from: src, to: dst).allowedConnections
        if explained != got { failing.append("seed \(seed) \(what): explain \(explained) engine \(got)") }
      }
      for p in cluster.pods.indices {
        check("stand-in -> pod \(p)", h, .pod(p), hRef, .pod(p))
        check("pod \(p) -> stand-in", .pod(p), h, .pod(p), hRef)
      }
      for text in ["10.1.0.7", "192.168.3.4", "8.8.8.8"] {
        let address = IPAddress(text)!
        let range = IPRange(family: address.family, lower: address.value, upper: address.value)
        check("stand-in -> \(text)", h, .external(range), hRef, .address(address))
        check("\(text) -> stand-in", .external(range), h, .address(address), hRef)
      }
    }
    #expect(failing.isEmpty, "\(failing.prefix(10).joined(separator: "\n"))")
  }
}
